/**
 * SVG → PNG with resvg and the bundled font only. Email clients (Gmail, Outlook) do not show SVG,
 * so charts travel as PNG. resvg silently drops text when it has no font, and system fonts differ
 * between machines, so the one font in templates/fonts is passed explicitly and system fonts are off.
 */
import path from 'node:path';
import { Resvg } from '@resvg/resvg-js';

/** templates/fonts/DejaVuSans.ttf, found from src/render/charts and dist/render/charts alike. */
export const bundledFontFile = path.resolve(__dirname, '../../../templates/fonts/DejaVuSans.ttf');
export const bundledFontFamily = 'DejaVu Sans';

export interface PngOptions {
  /** Device pixel ratio: 2 keeps lines sharp on phones and retina screens. */
  scale?: number;
  /** Font files to use instead of the bundled one. */
  fontFiles?: string[];
}

/** Render an SVG string to PNG bytes at `scale` × its own size. */
export function svgToPng(svg: string, options: PngOptions = {}): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: options.scale ?? 2 },
    background: '#ffffff',
    font: {
      fontFiles: options.fontFiles ?? [bundledFontFile],
      loadSystemFonts: false,
      defaultFontFamily: bundledFontFamily,
      sansSerifFamily: bundledFontFamily,
    },
  });
  return resvg.render().asPng();
}
