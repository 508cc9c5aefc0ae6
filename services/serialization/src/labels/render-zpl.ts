import type { LabelData, LabelTemplate } from './label-templates.ts';

/** Field data with ^FH: the characters ZPL reserves (^ ~ _) as _XX hex escapes. */
export function zplField(text: string): string {
  return `^FH_^FD${text.replace(/[\^~_]/g, (char) => `_${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)}^FS`;
}

/**
 * The ZPL II of one label (pure; the printer draws the symbol itself: ^BX Data Matrix ECC 200,
 * ^BC Code 128 with its human-readable line).
 */
export function renderZpl(template: LabelTemplate, data: LabelData): string {
  const lines = ['^XA', '^CI28', `^PW${template.widthDots}`, `^LL${template.heightDots}`];
  if (template.symbology === 'datamatrix') {
    lines.push(`^FO20,20^BXN,${template.moduleDots},200`, zplField(data.serialNumber));
    lines.push('^FO200,30^A0N,32,32', zplField(data.serialNumber));
    lines.push('^FO200,80^A0N,26,26', zplField(`P/N ${data.partId}`));
    lines.push('^FO200,120^A0N,20,20', zplField(data.caption));
  } else {
    lines.push(`^FO20,20^BY${template.moduleDots}^BCN,100,Y,N,N`, zplField(data.serialNumber));
    lines.push('^FO20,150^A0N,24,24', zplField(`P/N ${data.partId}  ${data.caption}`));
  }
  lines.push('^XZ');
  return `${lines.join('\n')}\n`;
}
