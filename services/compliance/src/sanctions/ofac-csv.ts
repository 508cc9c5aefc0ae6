/**
 * The OFAC SDN list in its official CSV files. No header row; fields are comma-separated, text
 * fields double-quoted (a quote inside doubled), `-0-` means empty, and the file may end with a
 * Ctrl-Z (0x1A) line.
 *
 *   SDN.CSV  ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage, GRT,
 *            Vess_flag, Vess_owner, Remarks
 *   ALT.CSV  ent_num, alt_num, alt_type (aka, fka, nka), alt_name, alt_remarks
 *
 * SDN_Type is `individual`, `vessel` or `aircraft`, and `-0-` for entities. Individuals are named
 * `LAST, First Middle`.
 */

export type SdnType = 'individual' | 'entity' | 'vessel' | 'aircraft';

export interface SdnEntry {
  entNum: number;
  name: string;
  type: SdnType;
  programs: string[];
  remarks: string | null;
}

export interface SdnAlias {
  entNum: number;
  altNum: number;
  altType: string;
  name: string;
}

export interface CsvProblem {
  file: string;
  line: number;
  message: string;
}

const EMPTY = '-0-';

/** RFC 4180 records: quoted fields may hold commas, doubled quotes and line breaks. Yields [line, fields]. */
export function* parseCsvRecords(text: string): Generator<[number, string[]]> {
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let sawAny = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (char === '\n') line++;
        field += char;
      }
      continue;
    }
    if (char === '"') {
      quoted = true;
      sawAny = true;
    } else if (char === ',') {
      fields.push(field);
      field = '';
      sawAny = true;
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      if (sawAny || field.length > 0) yield [recordLine, [...fields, field]];
      fields = [];
      field = '';
      sawAny = false;
      line++;
      recordLine = line;
    } else if (char !== '\x1a') {
      field += char;
      sawAny = true;
    }
  }
  if (sawAny || field.length > 0) yield [recordLine, [...fields, field]];
}

const value = (field: string | undefined): string | null => {
  const trimmed = (field ?? '').trim();
  return trimmed === '' || trimmed === EMPTY ? null : trimmed;
};

export function parseSdnCsv(text: string, file = 'SDN.CSV'): { entries: SdnEntry[]; problems: CsvProblem[] } {
  const entries: SdnEntry[] = [];
  const problems: CsvProblem[] = [];
  for (const [line, fields] of parseCsvRecords(text)) {
    const entNum = Number(value(fields[0]));
    const name = value(fields[1]);
    if (fields.length < 4 || !Number.isInteger(entNum) || entNum <= 0 || !name) {
      problems.push({ file, line, message: 'expected ent_num, SDN_Name, SDN_Type, Program, ... (12 fields)' });
      continue;
    }
    const rawType = value(fields[2])?.toLowerCase();
    const type: SdnType = rawType === 'individual' || rawType === 'vessel' || rawType === 'aircraft' ? rawType : 'entity';
    const programs = (value(fields[3]) ?? '')
      .replace(/[[\]]/g, ' ')
      .split(/[\s;]+/)
      .filter(Boolean);
    entries.push({ entNum, name, type, programs, remarks: value(fields[11]) });
  }
  return { entries, problems };
}

export function parseAltCsv(text: string, file = 'ALT.CSV'): { aliases: SdnAlias[]; problems: CsvProblem[] } {
  const aliases: SdnAlias[] = [];
  const problems: CsvProblem[] = [];
  for (const [line, fields] of parseCsvRecords(text)) {
    const entNum = Number(value(fields[0]));
    const altNum = Number(value(fields[1]));
    const name = value(fields[3]);
    if (fields.length < 4 || !Number.isInteger(entNum) || !Number.isInteger(altNum) || !name) {
      problems.push({ file, line, message: 'expected ent_num, alt_num, alt_type, alt_name, alt_remarks' });
      continue;
    }
    aliases.push({ entNum, altNum, altType: value(fields[2]) ?? 'aka', name });
  }
  return { aliases, problems };
}

/** UTF-8 when the bytes are valid UTF-8, else Windows-1252/Latin-1 (older list files). */
export function decodeListFile(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('latin1').decode(bytes);
  }
}
