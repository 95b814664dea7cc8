#!/usr/bin/env node
// Regenerates the app icon (512x512 PNG; electron-builder derives .ico and
// .icns from it) and the tray icons for each session state, with Node only.
// Run from anywhere: `node build/make-icons.mjs`.
import { writeFileSync, mkdirSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
};

/** Encodes an RGBA pixel function as a PNG. */
function png(size, pixel) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel(x + 0.5, y + 0.5);
      raw.set([r, g, b, a], y * (size * 4 + 1) + 1 + x * 4);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
const distToSegment = (px, py, ax, ay, bx, by) => {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
};
const inRoundedSquare = (x, y, size, margin, radius) => {
  const lo = margin + radius;
  const hi = size - margin - radius;
  const cx = Math.max(lo, Math.min(hi, x));
  const cy = Math.max(lo, Math.min(hi, y));
  return Math.hypot(x - cx, y - cy) <= radius;
};

// App icon: a rounded teal square with a white check mark.
const teal = hex('#0f6e66');
const icon = png(512, (x, y) => {
  if (!inRoundedSquare(x, y, 512, 16, 96)) return [0, 0, 0, 0];
  const d = Math.min(
    distToSegment(x, y, 136, 272, 224, 360),
    distToSegment(x, y, 224, 360, 384, 168),
  );
  return d <= 28 ? [255, 255, 255, 255] : [...teal, 255];
});
writeFileSync(join(here, 'icon.png'), icon);

// Tray: a filled circle whose colour tells the state; consent-pending adds an exclamation mark.
mkdirSync(join(here, 'tray'), { recursive: true });
const TRAY = {
  idle: '#6b7280',
  waiting: '#b45309',
  active: '#0f6e66',
  'consent-pending': '#b91c1c',
};
for (const [state, colour] of Object.entries(TRAY)) {
  const rgb = hex(colour);
  const image = png(32, (x, y) => {
    if (Math.hypot(x - 16, y - 16) > 14) return [0, 0, 0, 0];
    if (
      state === 'consent-pending' &&
      x >= 14 &&
      x <= 18 &&
      ((y >= 7 && y <= 19) || (y >= 22 && y <= 26))
    ) {
      return [255, 255, 255, 255];
    }
    return [...rgb, 255];
  });
  writeFileSync(join(here, 'tray', `tray-${state}.png`), image);
}
