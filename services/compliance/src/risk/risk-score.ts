/**
 * Risk of a venue, 0-100, as the sum of the rules that fire (capped at 100), each with its reason
 * and its points. A confirmed sanctions match is 100 by itself.
 *
 *   velocity        sales in the last 24 h above 5x the daily average of the last 30 days (and > 20)   +25
 *   refunds         refunds over 10 % of sales (30 days): +20; over 25 %: +35
 *   chargebacks     chargebacks over 1 % of sales (30 days; the card networks' monitoring line): +25; over 2 %: +40
 *   screening       an open possible sanctions match: +40; a confirmed one: 100
 *   unverified      selling while not verified: +10
 */
export interface RiskInputs {
  salesLast24h: number;
  salesLast30d: number;
  salesAmountLast30dCents: number;
  refundsAmountLast30dCents: number;
  chargebacksAmountLast30dCents: number;
  openScreeningMatches: number;
  confirmedScreeningMatches: number;
  verified: boolean;
}

export interface RiskReason {
  rule: 'velocity' | 'refunds' | 'chargebacks' | 'screening' | 'unverified';
  points: number;
  detail: string;
}

export interface RiskScore {
  score: number;
  reasons: RiskReason[];
}

const percent = (ratio: number) => `${(ratio * 100).toFixed(1)} %`;

export function scoreRisk(inputs: RiskInputs): RiskScore {
  const reasons: RiskReason[] = [];
  const dailyAverage = inputs.salesLast30d / 30;
  if (inputs.salesLast24h > 20 && inputs.salesLast24h > 5 * dailyAverage) {
    reasons.push({
      rule: 'velocity',
      points: 25,
      detail: `${inputs.salesLast24h} sales in 24 h against ${dailyAverage.toFixed(1)} a day over 30 days`,
    });
  }
  const sales = inputs.salesAmountLast30dCents;
  if (sales > 0) {
    const refunds = inputs.refundsAmountLast30dCents / sales;
    if (refunds > 0.25) reasons.push({ rule: 'refunds', points: 35, detail: `refunds are ${percent(refunds)} of sales (over 25 %)` });
    else if (refunds > 0.1) reasons.push({ rule: 'refunds', points: 20, detail: `refunds are ${percent(refunds)} of sales (over 10 %)` });
    const chargebacks = inputs.chargebacksAmountLast30dCents / sales;
    if (chargebacks > 0.02)
      reasons.push({ rule: 'chargebacks', points: 40, detail: `chargebacks are ${percent(chargebacks)} of sales (over 2 %)` });
    else if (chargebacks > 0.01)
      reasons.push({ rule: 'chargebacks', points: 25, detail: `chargebacks are ${percent(chargebacks)} of sales (over 1 %)` });
  }
  if (inputs.confirmedScreeningMatches > 0) {
    reasons.push({ rule: 'screening', points: 100, detail: 'a sanctions match was confirmed' });
  } else if (inputs.openScreeningMatches > 0) {
    reasons.push({ rule: 'screening', points: 40, detail: `${inputs.openScreeningMatches} possible sanctions match(es) not yet reviewed` });
  }
  if (!inputs.verified && inputs.salesLast30d > 0)
    reasons.push({ rule: 'unverified', points: 10, detail: 'the venue sells while not verified' });
  const score = Math.min(
    100,
    reasons.reduce((sum, reason) => sum + reason.points, 0),
  );
  return { score, reasons };
}
