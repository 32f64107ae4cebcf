/**
 * Munin's default colour palette (munin 2.x `@COLOUR` in Munin::Master::GraphOld), used when a
 * field has no valid `colour` attribute. Fields take colours in display order.
 */
export const MUNIN_PALETTE: readonly string[] = [
  '#00CC00',
  '#0066B3',
  '#FF8000',
  '#FFCC00',
  '#330099',
  '#990099',
  '#CCFF00',
  '#FF0000',
  '#808080',
  '#008F00',
  '#00487D',
  '#B35A00',
  '#B38F00',
  '#6B006B',
  '#8FB300',
  '#B30000',
  '#BEBEBE',
  '#80FF80',
  '#80C9FF',
  '#FFC080',
  '#FFE680',
  '#AA80FF',
  '#EE00CC',
  '#FF8080',
  '#666600',
  '#FFBFFF',
  '#00FFCC',
  '#CC6699',
  '#999900',
];

const HEX_COLOUR = /^#?([0-9a-fA-F]{6})$/;

/**
 * A field's colour: its `colour` attribute when it is a plain RRGGBB hex (pollers are untrusted:
 * anything else could smuggle markup into SVG attributes), else the palette entry for its index.
 */
export function fieldColour(attribute: string | undefined, index: number): string {
  const match = attribute ? HEX_COLOUR.exec(attribute.trim()) : null;
  if (match) return `#${match[1].toUpperCase()}`;
  return MUNIN_PALETTE[index % MUNIN_PALETTE.length];
}

/** `#RRGGBB` + alpha → `rgba(...)`, for translucent area fills. */
export function withAlpha(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}
