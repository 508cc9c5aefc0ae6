import bwipjs from 'bwip-js';
import type { LabelData, LabelTemplate } from './label-templates.ts';

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** An SVG preview of the label: the symbol drawn by bwip-js, the text beside or under it. */
export function renderSvg(template: LabelTemplate, data: LabelData): string {
  const symbol = bwipjs.toSVG(
    template.symbology === 'datamatrix'
      ? { bcid: 'datamatrix', text: data.serialNumber, scale: 3 }
      : { bcid: 'code128', text: data.serialNumber, height: 12, includetext: true },
  );
  const inner = symbol.replace(/^<svg[^>]*>/, '').replace(/<\/svg>\s*$/, '');
  const viewBox = /viewBox="([^"]+)"/.exec(symbol)?.[1] ?? '0 0 100 100';
  const [, , w, h] = viewBox.split(' ').map(Number);
  const { widthDots: width, heightDots: height } = template;
  const symbolBox = template.symbology === 'datamatrix' ? { x: 20, y: 20, w: 160, h: 160 } : { x: 20, y: 20, w: width - 40, h: 110 };
  const texts =
    template.symbology === 'datamatrix'
      ? [
          [200, 60, 32, data.serialNumber],
          [200, 100, 24, `P/N ${data.partId}`],
          [200, 135, 18, data.caption],
        ]
      : [[20, 170, 22, `P/N ${data.partId}  ${data.caption}`]];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="#fff" stroke="#000"/>`,
    `<svg x="${symbolBox.x}" y="${symbolBox.y}" width="${symbolBox.w}" height="${symbolBox.h}" viewBox="0 0 ${w} ${h}" preserveAspectRatio="xMinYMin meet">${inner}</svg>`,
    ...texts.map(
      ([x, y, size, text]) => `<text x="${x}" y="${y}" font-family="monospace" font-size="${size}">${escapeXml(String(text))}</text>`,
    ),
    '</svg>',
    '',
  ].join('\n');
}
