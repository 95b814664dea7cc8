// The hostile path table (issue 3, "Path safety"): every case runs through
// the real router and consent engine in a fresh world whose outside
// directory holds a sentinel that must stay byte-for-byte untouched.
import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConsentPrompt } from '../../../main/consent/consent-engine';
import type { PathSyntaxPlatform } from '../../../main/files/path-syntax';
import type { ActionKind } from '../../../protocol/consent';
import {
  createFilesWorld,
  outsideSnapshot,
  sha256,
  type Final,
  type FilesWorld,
} from './files-world';

interface Case {
  readonly name: string;
  readonly kind?: ActionKind;
  /** Params from the world (paths are built from root and outside). */
  readonly params: (w: FilesWorld) => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Expected error code, or 'ok' for an action that must succeed harmlessly. */
  readonly expect: string;
  readonly setup?: (w: FilesWorld) => Promise<void>;
  /** Runs while the approver looks at the prompt (between check and use). */
  readonly race?: (w: FilesWorld, prompt: ConsentPrompt) => Promise<void>;
  readonly writeHook?: (w: FilesWorld) => (step: string) => Promise<void>;
  readonly platform?: PathSyntaxPlatform;
  readonly after?: (w: FilesWorld, final: Final) => Promise<void>;
}

const read = (path: (w: FilesWorld) => string) => (w: FilesWorld) => ({
  path: path(w),
  streamId: 7,
});
const inRoot = (rel: string) => (w: FilesWorld) => `${w.root}/${rel}`;
const content = Buffer.from('engineer content\n');

async function linkOut(w: FilesWorld): Promise<void> {
  await fsp.symlink(w.sentinel, join(w.root, 'link-out'));
}
async function dirLinkOut(w: FilesWorld): Promise<void> {
  await fsp.symlink(w.outside, join(w.root, 'dirlink'));
}
async function hardlink(w: FilesWorld): Promise<void> {
  await fsp.link(w.sentinel, join(w.root, 'hard'));
}
async function plainFile(w: FilesWorld): Promise<void> {
  await fsp.writeFile(join(w.root, 'plain.txt'), 'inside');
}
async function subdir(w: FilesWorld): Promise<void> {
  await fsp.mkdir(join(w.root, 'sub'));
  await fsp.writeFile(join(w.root, 'sub', 'sentinel.txt'), 'inside copy');
}
/** Replaces root/sub with a symlink to the outside directory. */
async function swapSubForLink(w: FilesWorld): Promise<void> {
  await fsp.rename(join(w.root, 'sub'), join(w.root, 'sub-moved'));
  await fsp.symlink(w.outside, join(w.root, 'sub'));
}
const upload = async (w: FilesWorld) => w.upload(content);

const lexical: Array<[string, (w: FilesWorld) => string, PathSyntaxPlatform?]> = [
  ['relative path', () => '../outside/sentinel.txt'],
  ['.. after the root', (w) => `${w.root}/../outside/sentinel.txt`],
  ['.. deeper', (w) => `${w.root}/a/../../outside/sentinel.txt`],
  ['. component', (w) => `${w.root}/./plain.txt`],
  ['%2e%2e', (w) => `${w.root}/%2e%2e/outside/sentinel.txt`],
  ['%2E%2e mixed case', (w) => `${w.root}/%2E%2e/outside/sentinel.txt`],
  ['double-encoded %252e%252e', (w) => `${w.root}/%252e%252e/outside/sentinel.txt`],
  ['encoded separator ..%2f..', (w) => `${w.root}/..%2f..%2foutside%2fsentinel.txt`],
  ['overlong UTF-8 %c0%ae%c0%ae', (w) => `${w.root}/%c0%ae%c0%ae/outside/sentinel.txt`],
  ['fullwidth dots ．．', (w) => `${w.root}/\uff0e\uff0e/outside/sentinel.txt`],
  ['two-dot leader ‥', (w) => `${w.root}/\u2025/outside/sentinel.txt`],
  ['small full stops', (w) => `${w.root}/\ufe52\ufe52/outside/sentinel.txt`],
  ['dots and spaces', (w) => `${w.root}/.. /outside/sentinel.txt`],
  ['backslash ..\\', (w) => `${w.root}\\..\\outside\\sentinel.txt`],
  ['mixed separators', (w) => `${w.root}/..\\outside/sentinel.txt`],
  ['Windows drive C:\\', () => 'C:\\Windows\\System32\\config\\SAM'],
  ['drive-relative C:x', () => 'C:sentinel.txt'],
  ['\\\\?\\ namespace', () => '\\\\?\\C:\\Windows\\win.ini'],
  ['UNC \\\\server\\share', () => '\\\\server\\share\\file'],
  ['UNC with slashes //server/share', () => '//server/share/file'],
  ['NUL byte', (w) => `${w.root}/plain.txt\u0000.jpg`],
  ['encoded NUL %00', (w) => `${w.root}/plain.txt%00`],
  ['lone surrogate', (w) => `${w.root}/\ud800x`],
  ['overlong component', (w) => `${w.root}/${'a'.repeat(256)}`],
  ['empty component //', (w) => `${w.root}//plain.txt`],
  ['/dev/zero', () => '/dev/zero'],
  ['/proc/self/environ', () => '/proc/self/environ'],
  ['ADS file:stream (Windows)', (w) => `${w.root}/plain.txt:secret`, 'win32'],
  ['ADS ::$DATA (Windows)', (w) => `${w.root}/plain.txt::$DATA`, 'win32'],
  ['device CON (Windows)', (w) => `${w.root}/CON`, 'win32'],
  ['device nul.txt (Windows)', (w) => `${w.root}/nul.txt`, 'win32'],
  ['device COM1 (Windows)', (w) => `${w.root}/com1`, 'win32'],
  ['device LPT¹ (Windows)', (w) => `${w.root}/LPT\u00b9`, 'win32'],
  ['trailing dot (Windows)', (w) => `${w.root}/plain.txt.`, 'win32'],
];

const cases: Case[] = [
  ...lexical.map(([name, path, platform]): Case => ({
    name,
    params: read(path),
    expect: 'FILE_PATH_INVALID',
    setup: plainFile,
    ...(platform ? { platform } : {}),
  })),
  {
    name: 'path longer than MAX_PATH_CHARS (schema)',
    params: read((w) => `${w.root}/${'a/'.repeat(2100)}x`),
    expect: 'ACTION_BAD_PARAMS',
  },
  { name: 'absolute path outside', params: read(() => '/etc/passwd'), expect: 'FILE_OUTSIDE_ROOT' },
  { name: 'the sentinel itself', params: read((w) => w.sentinel), expect: 'FILE_OUTSIDE_ROOT' },
  {
    name: 'sibling with the root as a string prefix',
    params: read((w) => `${w.root}-evil/x`),
    expect: 'FILE_OUTSIDE_ROOT',
    setup: async (w) => {
      await fsp.mkdir(`${w.root}-evil`);
      await fsp.writeFile(`${w.root}-evil/x`, 'x');
    },
  },
  {
    name: 'symlink to the sentinel: read',
    params: read(inRoot('link-out')),
    expect: 'FILE_SYMLINK_REFUSED',
    setup: linkOut,
  },
  {
    name: 'symlink to the sentinel: edit',
    kind: 'file.edit',
    params: async (w) => ({
      path: inRoot('link-out')(w),
      baseSha256: sha256('x'),
      ...(await upload(w)),
    }),
    expect: 'FILE_SYMLINK_REFUSED',
    setup: linkOut,
  },
  {
    name: 'symlink to the sentinel: write refuses (exists)',
    kind: 'file.write',
    params: async (w) => ({ path: inRoot('link-out')(w), ...(await upload(w)) }),
    expect: 'FILE_EXISTS',
    setup: linkOut,
  },
  {
    name: 'symlink to the sentinel: delete moves the link only',
    kind: 'file.delete',
    params: (w) => ({ path: inRoot('link-out')(w) }),
    expect: 'ok',
    setup: linkOut,
  },
  {
    name: 'dangling symlink: write refuses',
    kind: 'file.write',
    params: async (w) => ({ path: inRoot('dangling')(w), ...(await upload(w)) }),
    expect: 'FILE_EXISTS',
    setup: async (w) => fsp.symlink(join(w.outside, 'created-by-attack'), join(w.root, 'dangling')),
  },
  {
    name: 'directory symlink out: read through it',
    params: read(inRoot('dirlink/sentinel.txt')),
    expect: 'FILE_OUTSIDE_ROOT',
    setup: dirLinkOut,
  },
  {
    name: 'directory symlink out: write through it',
    kind: 'file.write',
    params: async (w) => ({ path: inRoot('dirlink/new.txt')(w), ...(await upload(w)) }),
    expect: 'FILE_OUTSIDE_ROOT',
    setup: dirLinkOut,
  },
  {
    name: 'directory symlink out: list it',
    kind: 'file.list',
    params: (w) => ({ path: inRoot('dirlink')(w) }),
    expect: 'FILE_SYMLINK_REFUSED',
    setup: dirLinkOut,
  },
  {
    name: 'directory symlink out: mkdir inside it',
    kind: 'file.mkdir',
    params: (w) => ({ path: inRoot('dirlink/made')(w) }),
    expect: 'FILE_OUTSIDE_ROOT',
    setup: dirLinkOut,
  },
  {
    name: 'rename into a directory symlink out',
    kind: 'file.rename',
    params: (w) => ({ path: inRoot('plain.txt')(w), to: inRoot('dirlink/moved.txt')(w) }),
    expect: 'FILE_OUTSIDE_ROOT',
    setup: async (w) => {
      await plainFile(w);
      await dirLinkOut(w);
    },
  },
  {
    name: 'rename to an absolute outside path',
    kind: 'file.rename',
    params: (w) => ({ path: inRoot('plain.txt')(w), to: join(w.outside, 'sentinel.txt') }),
    expect: 'FILE_OUTSIDE_ROOT',
    setup: plainFile,
  },
  {
    name: 'find does not follow a directory symlink out',
    kind: 'file.find',
    params: (w) => ({ path: w.root, content: 'sentinel' }),
    expect: 'ok',
    setup: dirLinkOut,
    after: async (_w, final) => {
      expect(final.type === 'action.result' && final.result['matches']).toEqual([]);
    },
  },
  {
    name: 'hardlink to the sentinel: read',
    params: read(inRoot('hard')),
    expect: 'FILE_HARDLINK_REFUSED',
    setup: hardlink,
  },
  {
    name: 'hardlink to the sentinel: edit',
    kind: 'file.edit',
    params: async (w) => ({
      path: inRoot('hard')(w),
      baseSha256: sha256(await fsp.readFile(w.sentinel)),
      ...(await upload(w)),
    }),
    expect: 'FILE_HARDLINK_REFUSED',
    setup: hardlink,
  },
  {
    name: 'fifo: read does not hang',
    params: read(inRoot('fifo')),
    expect: 'FILE_NOT_REGULAR',
    setup: async (w) => {
      expect(spawnSync('mkfifo', [join(w.root, 'fifo')]).status).toBe(0);
    },
  },
  {
    name: 'character device inside the root',
    params: read(inRoot('null')),
    expect: 'FILE_NOT_REGULAR',
    setup: async (w) => {
      const made = spawnSync('mknod', [join(w.root, 'null'), 'c', '1', '3']).status === 0;
      if (!made) await fsp.symlink('/dev/null', join(w.root, 'null'));
    },
  },
  { name: 'a directory read as a file', params: read((w) => w.root), expect: 'FILE_NOT_REGULAR' },
  {
    name: 'symlink swapped in between check and open (read)',
    params: read(inRoot('plain.txt')),
    expect: 'FILE_SYMLINK_REFUSED',
    setup: plainFile,
    race: async (w) => {
      await fsp.rm(join(w.root, 'plain.txt'));
      await fsp.symlink(w.sentinel, join(w.root, 'plain.txt'));
    },
  },
  {
    name: 'parent swapped for a symlink out between check and open (edit)',
    kind: 'file.edit',
    params: async (w) => ({
      path: inRoot('sub/sentinel.txt')(w),
      baseSha256: sha256('inside copy'),
      ...(await upload(w)),
    }),
    expect: 'FILE_OUTSIDE_ROOT',
    setup: subdir,
    race: swapSubForLink,
  },
  {
    name: 'parent swapped for a symlink out during the write (before rename)',
    kind: 'file.edit',
    params: async (w) => ({
      path: inRoot('sub/sentinel.txt')(w),
      baseSha256: sha256('inside copy'),
      ...(await upload(w)),
    }),
    expect: 'FILE_RACE_DETECTED',
    setup: subdir,
    writeHook: (w) => async (step) => {
      if (step === 'temp-written') await swapSubForLink(w);
    },
  },
  {
    name: 'hardlink swapped in between check and open (read)',
    params: read(inRoot('plain.txt')),
    expect: 'FILE_HARDLINK_REFUSED',
    setup: plainFile,
    race: async (w) => {
      await fsp.rm(join(w.root, 'plain.txt'));
      await fsp.link(w.sentinel, join(w.root, 'plain.txt'));
    },
  },
  {
    name: 'case collision: readme vs README read the exact name',
    params: read(inRoot('readme')),
    expect: 'ok',
    setup: async (w) => {
      await fsp.writeFile(join(w.root, 'README'), 'upper');
      await fsp.writeFile(join(w.root, 'readme'), 'lower');
    },
    after: async (w) => {
      expect(w.link.received(7).toString()).toBe('lower');
    },
  },
  {
    name: 'Unicode normalization collision: NFD name is shown with its mark',
    params: read(inRoot('cafe\u0301')),
    expect: 'ok',
    setup: async (w) => {
      await fsp.writeFile(join(w.root, 'caf\u00e9'), 'nfc');
      await fsp.writeFile(join(w.root, 'cafe\u0301'), 'nfd');
    },
    after: async (w) => {
      expect(w.link.received(7).toString()).toBe('nfd');
      expect(w.prompts[0]!.preview.path).toMatchObject({
        visible: `${w.root}/cafe⟨U+0301⟩`,
        hasInvisible: true,
      });
    },
  },
  {
    name: 'bidi override in a name is made visible',
    params: read(inRoot('invoice\u202Etxt.exe')),
    expect: 'ok',
    setup: async (w) => fsp.writeFile(join(w.root, 'invoice\u202Etxt.exe'), 'x'),
    after: async (w) => {
      expect(w.prompts[0]!.preview.path?.visible).toBe(`${w.root}/invoice⟨U+202E⟩txt.exe`);
    },
  },
  {
    name: 'denied glob inside the root (.ssh)',
    params: read(inRoot('.ssh/id_rsa')),
    expect: 'CONSENT_DENIED_BY_RULE',
    setup: async (w) => {
      await fsp.mkdir(join(w.root, '.ssh'));
      await fsp.writeFile(join(w.root, '.ssh/id_rsa'), 'key');
    },
  },
  {
    name: 'restore a trash entry to an outside path',
    kind: 'file.restore',
    params: async (w) => {
      await plainFile(w);
      const del = await w.request('file.delete', { path: inRoot('plain.txt')(w) });
      return {
        id: del.type === 'action.result' ? del.result['trashId'] : 'x',
        to: join(w.outside, 'restored'),
      };
    },
    expect: 'FILE_OUTSIDE_ROOT',
  },
  {
    name: 'delete the root itself',
    kind: 'file.delete',
    params: (w) => ({ path: w.root }),
    expect: 'FILE_PATH_INVALID',
  },
];

describe('hostile path table', () => {
  it('has at least 40 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  for (const c of cases) {
    it(c.name, async () => {
      const holder: { world?: FilesWorld } = {};
      const w = await createFilesWorld({
        ...(c.platform ? { platform: c.platform } : {}),
        ...(c.race ? { onPrompt: (p, ww) => c.race!(ww, p) } : {}),
        ...(c.writeHook
          ? { writeHooks: { onStep: (step) => c.writeHook!(holder.world!)(step) } }
          : {}),
      });
      holder.world = w;
      try {
        await c.setup?.(w);
        const before = await outsideSnapshot(w);
        const final = await w.request(c.kind ?? 'file.read', await c.params(w));
        const got = final.type === 'action.result' ? 'ok' : final.code;
        expect(got, JSON.stringify(final)).toBe(c.expect);
        expect(await outsideSnapshot(w)).toBe(before);
        expect(await fsp.readFile(w.sentinel)).toEqual(
          Buffer.from('sentinel: must never change\n'),
        );
        expect((await fsp.readdir(w.outside)).sort()).toEqual(['sentinel.txt']);
        if (c.expect !== 'ok') expect(w.link.received(7).length).toBe(0);
        await c.after?.(w, final);
      } finally {
        await w.close();
      }
    });
  }
});
