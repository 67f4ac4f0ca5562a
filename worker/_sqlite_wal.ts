/**
 * What SQLite will recover from a database's write-ahead log (`<database>-wal`), and what it would
 * drop without a word, read before SQLite opens the database (its next checkpoint overwrites the
 * evidence).
 *
 * SQLite checksums WAL frames cumulatively and, on recovery, uses the frames up to the last commit
 * before the first frame that fails its checksum (https://www.sqlite.org/fileformat2.html#walformat).
 * That is right for a torn write, the last transaction cut short by a crash, which was never
 * acknowledged; it is wrong for a bit flipped in an earlier frame, after which SQLite also drops
 * every later transaction, each of them acknowledged. This module tells the two apart:
 *
 * - `clean`: nothing of the current WAL generation lies beyond what SQLite uses;
 * - `unfinished`: only frames of a transaction that never committed lie beyond it (a crash
 *   while writing it): nothing acknowledged is lost;
 * - `torn-last-commit`: the last transaction is among them, and nothing after it: a commit torn by
 *   a power loss, or damage to the last transaction, indistinguishable, as after a crash before
 *   that commit (the documented case);
 * - `damaged`: a transaction that committed is among them and later writes follow it (a later
 *   frame verifies against its predecessor, or a page recurs, which happens only across
 *   transactions since SQLite writes a page once per transaction): acknowledged commits would be
 *   lost.
 * @module
 */

import * as fs from "node:fs";

/**
 * The outcome of reading a WAL file.
 */
export interface WalInspection {
  /** Whether the file exists. */
  readonly exists: boolean;
  /** Its size in bytes (0 when it does not exist). */
  readonly size: number;
  /** The frames SQLite recovers (up to the last valid commit). */
  readonly validFrames: number;
  /** Frames of the current generation after those, which SQLite drops. */
  readonly droppedFrames: number;
  /** The first dropped frame, from 1, when any is dropped. */
  readonly firstDroppedFrame?: number;
  /** See the module's documentation. */
  readonly verdict: "clean" | "unfinished" | "torn-last-commit" | "damaged";
}

const HEADER = 32;
const FRAME_HEADER = 24;
const MAGIC = 0x377f0682;
const VERSION = 3007000;

/**
 * Reads the WAL file at `path`. `databasePageSize` is used when the WAL header itself is damaged;
 * `undefined` if unknown.
 */
export function inspectWal(path: string, databasePageSize: number | undefined): WalInspection {
  let fd: number;
  try {
    fd = fs.openSync(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { exists: false, size: 0, validFrames: 0, droppedFrames: 0, verdict: "clean" };
    throw error;
  }
  try {
    const size = fs.fstatSync(fd).size;
    const empty = { exists: true, size, validFrames: 0, droppedFrames: 0, verdict: "clean" } as const;
    if (size < HEADER) return empty;
    const header = read(fd, 0, HEADER);
    const magic = header.readUInt32BE(0);
    const headerPageSize = header.readUInt32BE(8);
    const magicOk = (magic & 0xfffffffe) >>> 0 === MAGIC;
    const pageSize = validPageSize(headerPageSize) ? headerPageSize : databasePageSize;
    if (pageSize === undefined || !validPageSize(pageSize)) return empty;
    const frameCount = Math.floor((size - HEADER) / (FRAME_HEADER + pageSize));
    const storedHeaderSum: Sum = [header.readUInt32BE(24), header.readUInt32BE(28)];
    const headerValid = (bigEndian: boolean) =>
      magicOk && header.readUInt32BE(4) === VERSION && validPageSize(headerPageSize) &&
      sumsEqual(checksum(header.subarray(0, 24), [0, 0], bigEndian), storedHeaderSum);
    // SQLite writes the magic with its low bit set on big-endian hosts, and checksums in that
    // order; with the magic damaged, the order under which more frames verify is the one.
    let scan: FrameScan | undefined;
    for (const bigEndian of magicOk ? [(magic & 1) === 1] : [false, true]) {
      const next = scanFrames(fd, frameCount, pageSize, header, storedHeaderSum, bigEndian, headerValid(bigEndian));
      if (scan === undefined || count(next.verified) > count(scan.verified)) scan = next;
    }
    const { frames, verified, validFrames, salts } = scan!;
    const current = (frame: FrameMeta) => frame.salts[0] === salts[0] && frame.salts[1] === salts[1] && frame.page !== 0;

    const dropped: number[] = [];
    for (let index = validFrames; index < frames.length; index++) if (current(frames[index]!)) dropped.push(index);
    if (dropped.length === 0) return { exists: true, size, validFrames, droppedFrames: 0, verdict: "clean" };
    const lastVerified = dropped.findLast((index) => verified[index]);
    const committedThenMore = dropped.some((index) => frames[index]!.commitSize !== 0 && lastVerified !== undefined && lastVerified > index);
    const pages = new Set<number>();
    let pageRecurs = false;
    for (const index of dropped) {
      if (!verified[index]) continue;
      if (pages.has(frames[index]!.page)) pageRecurs = true;
      pages.add(frames[index]!.page);
    }
    const verdict = committedThenMore || pageRecurs
      ? "damaged"
      : dropped.some((index) => frames[index]!.commitSize !== 0)
      ? "torn-last-commit"
      : "unfinished";
    return { exists: true, size, validFrames, droppedFrames: dropped.length, firstDroppedFrame: dropped[0]! + 1, verdict };
  } finally {
    fs.closeSync(fd);
  }
}

type Sum = readonly [number, number];

/** What the verdict needs of a frame: its header, not its page. */
interface FrameMeta {
  page: number;
  commitSize: number;
  salts: readonly [number, number];
}

interface FrameScan {
  frames: FrameMeta[];
  /** Whether each frame verifies against its predecessor (its stored or its computed checksum). */
  verified: boolean[];
  /** The frames SQLite recovers. */
  validFrames: number;
  /** The salts of the current generation: the header's, or the first frame's if it is damaged. */
  salts: readonly [number, number];
}

/** Reads every frame once, keeping headers only, so a large WAL is not held in memory. */
function scanFrames(
  fd: number,
  frameCount: number,
  pageSize: number,
  header: Buffer,
  storedHeaderSum: Sum,
  bigEndian: boolean,
  headerValid: boolean,
): FrameScan {
  const frames: FrameMeta[] = [];
  const verified: boolean[] = [];
  let salts: readonly [number, number] | undefined = headerValid ? [header.readUInt32BE(16), header.readUInt32BE(20)] : undefined;
  // A frame verifies against its predecessor's stored checksum, or against the checksum its
  // predecessor's content gives (for a flip in the stored checksum itself).
  let previousStored = storedHeaderSum;
  let previousComputed = checksum(header.subarray(0, 24), [0, 0], bigEndian);
  // SQLite's running checksum, while every frame so far holds (walDecodeFrame).
  let running: Sum | undefined = headerValid ? storedHeaderSum : undefined;
  let validFrames = 0;
  for (let index = 0; index < frameCount; index++) {
    const bytes = read(fd, HEADER + index * (FRAME_HEADER + pageSize), FRAME_HEADER + pageSize);
    const frame: FrameMeta = {
      page: bytes.readUInt32BE(0),
      commitSize: bytes.readUInt32BE(4),
      salts: [bytes.readUInt32BE(8), bytes.readUInt32BE(12)],
    };
    salts ??= frame.salts;
    const stored: Sum = [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
    // The checksum covers the first 8 bytes of the frame header, then the page.
    const sum = (seed: Sum) => checksum(bytes.subarray(FRAME_HEADER), checksum(bytes.subarray(0, 8), seed, bigEndian), bigEndian);
    verified.push(sumsEqual(sum(previousStored), stored) || sumsEqual(sum(previousComputed), stored));
    if (running !== undefined) {
      const next = sum(running);
      const holds = frame.page !== 0 && frame.salts[0] === salts[0] && frame.salts[1] === salts[1] && sumsEqual(next, stored);
      running = holds ? next : undefined;
      if (holds && frame.commitSize !== 0) validFrames = index + 1;
    }
    previousComputed = sum(previousStored);
    previousStored = stored;
    frames.push(frame);
  }
  return { frames, verified, validFrames, salts: salts ?? [0, 0] };
}

/** SQLite's WAL checksum (walChecksumBytes): Fibonacci-weighted sums of 32-bit words, modulo 2^32. */
function checksum(bytes: Buffer, seed: Sum, bigEndian: boolean): Sum {
  let s0 = seed[0];
  let s1 = seed[1];
  for (let offset = 0; offset + 8 <= bytes.length; offset += 8) {
    const x0 = bigEndian ? bytes.readUInt32BE(offset) : bytes.readUInt32LE(offset);
    const x1 = bigEndian ? bytes.readUInt32BE(offset + 4) : bytes.readUInt32LE(offset + 4);
    s0 = (s0 + x0 + s1) >>> 0;
    s1 = (s1 + x1 + s0) >>> 0;
  }
  return [s0, s1];
}

function sumsEqual(a: Sum, b: Sum): boolean {
  return a[0] === b[0] && a[1] === b[1];
}

function count(flags: boolean[]): number {
  return flags.filter(Boolean).length;
}

function validPageSize(size: number): boolean {
  return size >= 512 && size <= 65536 && (size & (size - 1)) === 0;
}

function read(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const got = fs.readSync(fd, buffer, done, length - done, position + done);
    if (got === 0) break;
    done += got;
  }
  return buffer;
}

/**
 * The page size of the database file at `path` (bytes 16-17 of its header; 1 means 65536), or
 * `undefined` when the header is not readable.
 */
export function databasePageSize(path: string): number | undefined {
  try {
    const fd = fs.openSync(path, "r");
    try {
      const header = read(fd, 0, 100);
      if (header.toString("latin1", 0, 16) !== "SQLite format 3\0") return undefined;
      const raw = header.readUInt16BE(16);
      const size = raw === 1 ? 65536 : raw;
      return validPageSize(size) ? size : undefined;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}
