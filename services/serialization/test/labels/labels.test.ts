import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LABEL_TEMPLATES } from '../../src/labels/label-templates.ts';
import { renderSvg } from '../../src/labels/render-svg.ts';
import { renderZpl, zplField } from '../../src/labels/render-zpl.ts';

const data = { serialNumber: 'SP-7261200042K', partId: 'P-7', caption: 'system 2026-12-02' };

describe('labels', () => {
  test('ZPL of the Data Matrix template, exactly', () => {
    assert.equal(
      renderZpl(LABEL_TEMPLATES['unit-datamatrix'], data),
      [
        '^XA',
        '^CI28',
        '^PW400',
        '^LL200',
        '^FO20,20^BXN,6,200',
        '^FH_^FDSP-7261200042K^FS',
        '^FO200,30^A0N,32,32',
        '^FH_^FDSP-7261200042K^FS',
        '^FO200,80^A0N,26,26',
        '^FH_^FDP/N P-7^FS',
        '^FO200,120^A0N,20,20',
        '^FH_^FDsystem 2026-12-02^FS',
        '^XZ',
        '',
      ].join('\n'),
    );
  });

  test('ZPL of the Code 128 template; reserved characters are escaped', () => {
    const zpl = renderZpl(LABEL_TEMPLATES['unit-code128'], data);
    assert.match(zpl, /^\^FO20,20\^BY2\^BCN,100,Y,N,N\n\^FH_\^FDSP-7261200042K\^FS$/m);
    assert.equal(zplField('A^B~C_D'), '^FH_^FDA_5EB_7EC_5FD^FS');
  });

  test('SVG previews hold the symbol and the text', () => {
    for (const template of Object.values(LABEL_TEMPLATES)) {
      const svg = renderSvg(template, data);
      assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="\d+" height="200"/);
      assert.match(svg, /<path d="M/, `${template.id} draws a symbol`);
      assert.match(svg, /P\/N P-7/);
    }
    assert.notEqual(
      renderSvg(LABEL_TEMPLATES['unit-datamatrix'], data),
      renderSvg(LABEL_TEMPLATES['unit-datamatrix'], { ...data, serialNumber: 'OTHER-1' }),
    );
  });
});
