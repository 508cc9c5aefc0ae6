import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { jaroWinkler } from '../src/sanctions/jaro-winkler.ts';
import { normalizeName } from '../src/sanctions/normalize-name.ts';
import { parseAltCsv, parseCsvRecords, parseSdnCsv } from '../src/sanctions/ofac-csv.ts';
import type { SanctionsList } from '../src/sanctions/sanctions-list.ts';
import { loadSanctionsList, SanctionsListHolder } from '../src/sanctions/sanctions-list-holder.ts';
import { OFAC_FIXTURES } from './support/paths.ts';

const files = { sdnFile: join(OFAC_FIXTURES, 'SDN.CSV'), altFile: join(OFAC_FIXTURES, 'ALT.CSV') };

async function fixtureList(): Promise<SanctionsList> {
  const loaded = await loadSanctionsList(files);
  assert.ok(loaded.ok, JSON.stringify(loaded));
  return loaded.list;
}

describe('OFAC CSV files', () => {
  test('SDN.CSV: quoted fields, -0- as empty, doubled quotes, commas inside quotes, the trailing Ctrl-Z', () => {
    const { entries, problems } = parseSdnCsv(readFileSync(files.sdnFile, 'utf8'));
    assert.deepEqual(problems, []);
    assert.equal(entries.length, 7);
    assert.deepEqual(entries[1], {
      entNum: 1002,
      name: 'AL-RASHID, Mohammed Ahmed',
      type: 'individual',
      programs: ['SDGT', 'IRAN'],
      remarks: 'DOB 01 Jan 1970; nationality Atlantis.',
    });
    assert.equal(entries[0].type, 'entity');
    assert.equal(entries[5].type, 'vessel');
    assert.equal(entries[6].name, 'GRAND "PALACE" EVENTS HALL');
  });

  test('ALT.CSV: aliases with their type', () => {
    const { aliases, problems } = parseAltCsv(readFileSync(files.altFile, 'utf8'));
    assert.deepEqual(problems, []);
    assert.deepEqual(aliases[2], { entNum: 1004, altNum: 503, altType: 'fka', name: 'BLUE HORIZON MARITIME' });
  });

  test('a record broken over lines inside quotes stays one record; a bad record is a problem with its line', () => {
    const records = [...parseCsvRecords('1,"A\nB",x\r\n2,"C",y\r\n')];
    assert.deepEqual(records, [
      [1, ['1', 'A\nB', 'x']],
      [3, ['2', 'C', 'y']],
    ]);
    const { problems } = parseSdnCsv('1,"OK",-0-,"P"\r\nnot a record\r\n');
    assert.deepEqual(problems, [{ file: 'SDN.CSV', line: 2, message: 'expected ent_num, SDN_Name, SDN_Type, Program, ... (12 fields)' }]);
  });
});

describe('normalisation and Jaro-Winkler', () => {
  test('accents, transliterations, punctuation, legal forms and doubled letters', () => {
    assert.equal(normalizeName('MÜLLER, Jürgen', { lastNameFirst: true }), 'jurgen muler');
    assert.equal(normalizeName('Straße & Søn GmbH'), 'strase son');
    assert.equal(normalizeName('  Northwind Trading, L.L.C. '), 'northwind trading l l c');
    assert.equal(normalizeName('Northwind Trading LLC'), 'northwind trading');
    assert.equal(normalizeName('Mohammed'), normalizeName('Mohamed'));
  });

  test('the classic pairs', () => {
    assert.equal(Math.round(jaroWinkler('martha', 'marhta') * 1000) / 1000, 0.961);
    assert.equal(Math.round(jaroWinkler('dwayne', 'duane') * 1000) / 1000, 0.84);
    assert.equal(Math.round(jaroWinkler('dixon', 'dicksonx') * 1000) / 1000, 0.813);
    assert.equal(jaroWinkler('abc', 'abc'), 1);
    assert.equal(jaroWinkler('abc', 'xyz'), 0);
  });
});

describe('screening against the fixture list', () => {
  test('exact, alias, transliterated, reordered and near-miss names match, each explained with its score', async () => {
    const list = await fixtureList();
    const first = (name: string) => list.screen(name, 0.9)[0];
    assert.deepEqual(
      { ...first('Northwind Trading LLC'), compared: undefined },
      {
        entNum: 1001,
        sdnName: 'NORTHWIND TRADING LLC',
        matchedName: 'NORTHWIND TRADING LLC',
        matchedAs: 'primary',
        type: 'entity',
        programs: ['SDGT'],
        score: 1,
        method: 'exact',
        compared: undefined,
      },
    );
    assert.equal(first('North Wind Traders').matchedAs, 'alias');
    assert.equal(first('North Wind Traders').entNum, 1001);
    // MÜLLER, Jürgen on the list: the accented, the German and the plain spelling are one name.
    for (const spelling of ['Jürgen Müller', 'Juergen Mueller', 'Jurgen Muller']) assert.equal(first(spelling).method, 'exact', spelling);
    const transliterated = first('Jurgen Mullers');
    assert.equal(transliterated.entNum, 1003);
    assert.ok(transliterated.score >= 0.9 && transliterated.score < 1, String(transliterated.score));
    assert.equal(first('Ivan Sergeyevich Petrov').method, 'exact'); // LAST, First read First Last
    assert.equal(first('Petrov Ivan Sergeyevich').method, 'token_order');
    const near = first('Mohamed Ahmed Al Rashid');
    assert.equal(near.entNum, 1002);
    assert.deepEqual(near.compared, { query: 'mohamed ahmed al rashid', candidate: 'mohamed ahmed al rashid' });
    const nearMiss = first('Muhammad Al-Rashid');
    assert.equal(nearMiss.entNum, 1002);
    assert.ok(nearMiss.score < 1);
    assert.deepEqual(list.screen('Lincoln Center Theater', 0.9), []);
    assert.deepEqual(list.screen('Riverside Music Hall LLC', 0.9), []);
  });

  test('the threshold decides: one table of names and the lowest threshold each still matches at', async () => {
    const list = await fixtureList();
    const table: [string, number, boolean[]][] = [
      // name, entNum, matches at thresholds 0.80 / 0.90 / 0.95 / 1.00
      ['Northwind Trading', 1001, [true, true, true, true]],
      ['Blue Horizon Shipyard', 1004, [true, true, false, false]], // 0.928
      ['Mousa Al Rashid', 1002, [true, false, false, false]], // 0.887, token set
      ['Blue Harbour Shipping', 1004, [true, false, false, false]], // 0.862
      ['Ocean Stars', 1006, [true, true, true, false]], // 0.982
      ['Northwind Trade', 1001, [true, true, true, false]], // 0.951
    ];
    for (const [name, entNum, expected] of table) {
      const got = [0.8, 0.9, 0.95, 1].map((threshold) => list.screen(name, threshold).some((m) => m.entNum === entNum));
      assert.deepEqual(got, expected, `${name}: ${JSON.stringify(list.screen(name, 0.8).map((m) => [m.entNum, m.score, m.method]))}`);
    }
  });

  test("the list identity: the version is the files' time, the checksum the SHA-256 of both files", async () => {
    const list = await fixtureList();
    const checksum = createHash('sha256').update(readFileSync(files.sdnFile)).update(readFileSync(files.altFile)).digest('hex');
    assert.equal(list.identity.checksum, checksum);
    assert.equal(list.identity.entries, 7);
    assert.equal(list.identity.aliases, 5);
    assert.match(list.identity.version, /^\d{4}-\d{2}-\d{2}T/);
  });

  test('a refresh swaps the whole list at once; a bad file leaves the current list in place', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cmp-lists-'));
    const sdnFile = join(dir, 'SDN.CSV');
    const altFile = join(dir, 'ALT.CSV');
    copyFileSync(files.sdnFile, sdnFile);
    copyFileSync(files.altFile, altFile);
    const holder = new SanctionsListHolder({ sdnFile, altFile });
    assert.ok((await holder.refresh()).ok);
    const before = holder.current!;
    assert.equal(before.screen('Zephyr Concert Arena', 0.9).length, 0);

    writeFileSync(
      sdnFile,
      `${readFileSync(files.sdnFile, 'utf8').replace('\x1a', '')}2001,"ZEPHYR CONCERT ARENA",-0- ,"SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n`,
    );
    const [a, b] = await Promise.all([holder.refresh(), holder.refresh()]);
    assert.equal(a, b, 'concurrent refreshes share one load');
    assert.ok(a.ok);
    assert.notEqual(holder.current, before);
    assert.equal(holder.current!.screen('Zephyr Concert Arena', 0.9)[0].entNum, 2001);
    assert.equal(before.screen('Zephyr Concert Arena', 0.9).length, 0, 'a screening holding the old list is unaffected');
    assert.notEqual(holder.identity!.checksum, before.identity.checksum);

    const good = holder.current;
    writeFileSync(sdnFile, 'this is not,an OFAC file\r\nat all\r\n');
    const refused = await holder.refresh();
    assert.equal(refused.ok, false);
    assert.equal(holder.current, good, 'the list in use did not change');
  });
});
