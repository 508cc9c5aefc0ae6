/**
 * Print templates: how a serial is laid out on a label. Sizes in dots at the printer's
 * resolution (203 dpi: 8 dots per millimetre). Built in; a template is chosen per request.
 */
export interface LabelTemplate {
  id: string;
  name: string;
  symbology: 'datamatrix' | 'code128';
  widthDots: number;
  heightDots: number;
  /** Module (narrow bar or cell) size in dots. */
  moduleDots: number;
}

export const LABEL_TEMPLATES: Readonly<Record<string, LabelTemplate>> = {
  'unit-datamatrix': {
    id: 'unit-datamatrix',
    name: '50 x 25 mm, Data Matrix with serial and part',
    symbology: 'datamatrix',
    widthDots: 400,
    heightDots: 200,
    moduleDots: 6,
  },
  'unit-code128': {
    id: 'unit-code128',
    name: '75 x 25 mm, Code 128 with serial and part',
    symbology: 'code128',
    widthDots: 600,
    heightDots: 200,
    moduleDots: 2,
  },
};

export const DEFAULT_LABEL_TEMPLATE = 'unit-datamatrix';

export interface LabelData {
  serialNumber: string;
  partId: string;
  /** Printed under the symbol, e.g. the source and date. */
  caption: string;
}
