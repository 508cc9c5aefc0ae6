import { z } from 'zod';

/** US state and territory codes accepted in a venue address. */
export const US_STATE_CODES: ReadonlySet<string> = new Set(
  (
    'AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY ' +
    'AS GU MP PR VI'
  ).split(' '),
);

export const venueAddressSchema = z.strictObject({
  line1: z.string().trim().min(1).max(200),
  line2: z.string().trim().max(200).optional(),
  city: z.string().trim().min(1).max(100),
  state: z
    .string()
    .trim()
    .toUpperCase()
    .refine((code) => US_STATE_CODES.has(code), 'must be a US state code such as NY'),
  postalCode: z
    .string()
    .trim()
    .regex(/^\d{5}(-\d{4})?$/, 'must be a ZIP code: 12345 or 12345-6789'),
  country: z.literal('US', { error: 'must be US (an EIN is a US tax id)' }).default('US'),
});

export const createVenueSchema = z.strictObject({
  legalName: z.string().trim().min(2).max(200),
  /** Checked by checkEin (format, IRS prefix) after the shape. */
  ein: z.string().trim().min(1).max(20),
  address: venueAddressSchema,
  contactName: z.string().trim().min(1).max(200).optional(),
  contactEmail: z.email().max(254).optional(),
});

export const reasonSchema = z.strictObject({ reason: z.string().trim().min(1).max(2000) });
export const optionalReasonSchema = z.strictObject({ reason: z.string().trim().max(2000).optional() });
