// The release's last steps (Trunk.toml [[hooks]] post_build; see "Release size" in the README). index.html tells
// trunk not to run wasm-opt (data-wasm-opt="0"): this script runs it, after it has
//   0. written the languages loaded on demand (lang/<tag>-<hash>.txt) out of the wasm's custom section (below);
//   1. given the wasm-bindgen imports short names: the glue's import names (`__wbg_addEventListener_<16 hex>`,
//      about 240 of them, each written once in the wasm and once in the JS) become `a`, `b`, ... `eD`, in both files;
//   2. removed the exports nobody uses: wasm-streams' IntoUnderlying{Source,ByteSource,Sink} classes, which Leptos's
//      server-function support links in and wasm-bindgen must export (the desktop has no server functions), from
//      the wasm and from the glue, so wasm-opt can drop their code;
//   3. run wasm-opt (binaryen 132 from the tools cache, on PATH through scripts/env.sh) with WASM_OPT below, put the
//      optimized functions in an order where look-alikes sit side by side (orderBySimilarity, a second run), then
//      blanked the panic locations (file name, line, column of each `unwrap`, index, `RefCell` borrow, async fn, ...
//      in the data section: nothing reads them in the release, whose panics abort without a message; zeros
//      compress to almost nothing; see blankPanicLocations below);
//   4. minified the JS glue with terser (pinned in scripts/minify/package-lock.json, installed by scripts/install.sh;
//      trunk's own minifier cannot parse the glue);
//   5. written the new sha384 integrity of the wasm and the glue into index.html.
// Any surprise (an import name not found exactly once in the glue, a class not removed whole, a tool missing)
// stops the build with an error, so a release is never half-rewritten.
//   node scripts/post-build.mjs STAGING_DIR                 (the hook: rewrites the staging folder in place)
//   node scripts/post-build.mjs --names BINDGEN_DIR OUT.wasm (the size report: steps 1-3 with -g, names kept)
//   node scripts/post-build.mjs --langs STAGING_DIR         (debug builds: step 0 only)
import { readFileSync, writeFileSync, readdirSync, existsSync, mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { execFileSync } from "node:child_process";
import { pathToFileURL } from "node:url";

// wasm-opt's passes for the release (measured in the README: -ocimfs 30 inlines a function that has one caller only
// when it is small, and -aimfs 4 every function of up to 4 instructions, which make the gzip smaller than -Oz alone). --low-memory-unused: Rust puts the stack first,
// so the lowest KB of memory is only reached by a stack overflow. The producers and target-features sections are
// for tools, not browsers. --reorder-functions-by-name first (the names are still there) puts the instances of one
// generic function and the functions of one module next to each other, where gzip finds their likeness: -6,252 B gzip; with it -aimfs 3 is
// smaller than 4 (-220; over -ocimfs 20-50 and -aimfs 1-6).
// Then --flatten --rereloop and -Oz again until the size stops changing (--converge): binaryen rebuilds each function's
// control flow from scratch (flatten: one operation per local; rereloop: blocks and branches found again from the
// flow graph) and the second -Oz folds it back; measured 316,055 -> 313,527 B gzip on the wasm (-2,528; once without
// --converge -2,254; flatten+rereloop before the first -Oz only -820; twice -2,449; -aimfs 2/4 with it worse).
// The target-features section stays until the second run below (REORDER), which needs it to read the wasm.
export const WASM_OPT = ["--reorder-functions-by-name", "-Oz", "-ocimfs", "30", "-aimfs", "3", "--flatten", "--rereloop", "-Oz", "--converge",
  "--low-memory-unused", "--strip-producers"];
// The second, cheap run: no pass but the reordering (see orderBySimilarity); -ol 2 -s 2 make wasm-opt write the code
// as the first run did (its Stack IR optimizations: without them the unchanged code grows by 1.6 KB).
export const REORDER = ["-ol", "2", "-s", "2", "--reorder-functions-by-name", "--strip-target-features"];
// Texts in the data that only a dependency's panic message uses (see blankPanicLocations).
const DEAD_TEXTS = [/Value is None because the `ssr` feature is active\.[ -~]*?to identify the source\./g];
// Exported classes the desktop never uses (see 2. above).
const UNUSED_CLASSES = ["IntoUnderlyingByteSource", "IntoUnderlyingSink", "IntoUnderlyingSource"];

const fail = (m) => { console.error(`post-build: ${m}`); process.exit(1); };
const args = process.argv.slice(2);
const names = args[0] === "--names";
// Debug builds (trunk build/serve without --release): only the language files are written (step 0).
const langsOnly = args[0] === "--langs";
const dir = names || langsOnly ? args[1] : args[0];
if (!dir || !existsSync(dir)) fail(`no folder ${dir}`);
if (!names && !existsSync(join(dir, "index.html"))) fail(`no index.html in ${dir}`);
const files = readdirSync(dir);
const wasmFile = files.find((f) => f.endsWith("_bg.wasm"));
const jsFile = wasmFile && files.find((f) => f === wasmFile.replace(/_bg\.wasm$/, ".js"));
if (!wasmFile || !jsFile) fail(`no wasm-bindgen output (NAME_bg.wasm and NAME.js) in ${dir}`);

const wasm = readFileSync(join(dir, wasmFile));
let js = readFileSync(join(dir, jsFile), "utf8");
let pos = 8;
const u32 = () => { let r = 0, s = 0, b; do { b = wasm[pos++]; r |= (b & 0x7f) << s; s += 7; } while (b & 0x80); return r >>> 0; };
const leb = (n) => { const out = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n); return Buffer.from(out); };
const str = () => { const n = u32(); const s = wasm.toString("utf8", pos, pos + n); pos += n; return s; };
const name = (s) => { const b = Buffer.from(s, "utf8"); return Buffer.concat([leb(b.length), b]); };
const short = (i) => { const abc = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"; let s = "";
  do { s = abc[i % 52] + s; i = Math.floor(i / 52) - 1; } while (i >= 0); return s; };

// --- 0. the languages loaded on demand: their files out of the wasm ----------------------------------------------------
// src/strings.rs (`on_demand!`) puts each non-English catalogue, as the compiler checked and packed it, into a custom
// section `agent-desktop-lang` (the linker joins them): a line `lang/<tag>-<16 hex>.txt <length, 16 hex>`, then the
// file. Each file is written into the dist under that name (the wasm fetches it on demand and checks its length and
// hash, src/strings.rs `install`) and the section is removed.
const LANG_SECTION = "agent-desktop-lang";
const langWritten = [];
function langFiles(buf) {
  let at = 0;
  while (at < buf.length) {
    const nl = buf.indexOf(10, at);
    const line = nl < 0 ? "" : buf.toString("latin1", at, nl);
    const m = /^(lang\/([a-z]{2,3})-([0-9a-f]{16})\.txt) ([0-9a-f]{16})$/.exec(line);
    if (!m) fail(`a language section does not start with a file name and length (${JSON.stringify(line.slice(0, 60))})`);
    const file = buf.subarray(nl + 1, nl + 1 + parseInt(m[4], 16));
    if (file.length !== parseInt(m[4], 16) || fnv(file) !== m[3]) fail(`${m[1]}: its bytes do not have the length or the hash it is written with`);
    if (file.toString("latin1", 0, 21 + m[2].length) !== `agent-desktop texts ${m[2]} `) fail(`${m[1]}: no header line`);
    if (!names) { mkdirSync(join(dir, "lang"), { recursive: true }); writeFileSync(join(dir, m[1]), file); }
    langWritten.push(`${m[1]} (${file.length} bytes)`);
    at = nl + 1 + file.length;
  }
}
// FNV-1a 64 (as `strings::fnv`), as 16 hex digits.
function fnv(b) {
  let h = 0xcbf29ce484222325n;
  for (const x of b) h = BigInt.asUintN(64, (h ^ BigInt(x)) * 0x100000001b3n);
  return h.toString(16).padStart(16, "0");
}

if (langsOnly) {
  for (let p = 8; p < wasm.length;) {
    pos = p; const id = wasm[pos++]; const size = u32(); const end = pos + size;
    if (id === 0 && str() === LANG_SECTION) langFiles(wasm.subarray(pos, end));
    p = end;
  }
  console.log(`post-build: ${langWritten.join(", ") || "no language file"} written`);
  process.exit(0);
}

// --- 2. (JS side first, so the wasm side knows which classes were there) -------------------------------------------
const removed = [];
for (const cls of UNUSED_CLASSES) {
  if (!js.includes(`export class ${cls} `)) continue; // not linked in (any more): nothing to do
  const body = new RegExp(`^export class ${cls} \\{\\n[\\s\\S]*?\\n\\}\\n(if \\(Symbol\\.dispose\\) ${cls}\\.prototype\\[Symbol\\.dispose\\] = ${cls}\\.prototype\\.free;\\n)?`, "m");
  const fin = new RegExp(`^const ${cls}Finalization = [^;]*;\\n`, "m");
  if (!body.test(js) || !fin.test(js)) fail(`the glue's ${cls} is not in the expected shape`);
  js = js.replace(body, "").replace(fin, "");
  if (js.includes(cls)) fail(`${cls} is still named in the glue after its removal`);
  removed.push(cls.toLowerCase());
}
const unusedExport = (n) => removed.some((c) => n.startsWith(`${c}_`) || n === `__wbg_${c}_free`);

// --- 1. and 2.: rewrite the import and export sections --------------------------------------------------------------
const parts = [wasm.subarray(0, 8)];
let renamed = 0, dropped = 0, renamedExports = 0, unread = 0;
while (pos < wasm.length) {
  const start = pos; const id = wasm[pos++]; const size = u32(); const end = pos + size;
  if (id === 2) {
    const out = []; const count = u32(); out.push(leb(count));
    for (let i = 0; i < count; i++) {
      const mod = str(); const field = str(); const descStart = pos; const kind = wasm[pos++];
      if (kind === 0) u32(); else if (kind === 1) { pos++; const f = u32(); u32(); if (f & 1) u32(); }
      else if (kind === 2) { const f = u32(); u32(); if (f & 1) u32(); } else if (kind === 3) { pos += 2; } else fail(`unknown import kind ${kind}`);
      let newField = field;
      // The glue's own imports (module `./NAME_bg.js`); every other key of its imports object starts with `__`, so
      // the short names (letters only) cannot clash with one.
      if (mod.endsWith("_bg.js") && /^__wbg_[A-Za-z0-9_]+$/.test(field)) {
        // The glue lists each import once, as a property `NAME: function(` of the imports object.
        const re = new RegExp(`(?<![A-Za-z0-9_$])${field}(?![A-Za-z0-9_$])`, "g");
        const hits = js.match(re) || [];
        if (hits.length !== 1) fail(`import ${field} is in the JS glue ${hits.length} times (expected once)`);
        newField = short(renamed++);
        js = js.replace(re, newField);
      }
      out.push(name(mod), name(newField), wasm.subarray(descStart, pos));
    }
    if (pos !== end) fail("import section not read to its end");
    const content = Buffer.concat(out);
    parts.push(Buffer.from([2]), leb(content.length), content);
  } else if (id === 7) {
    const count = u32(); const keep = []; const kept = [];
    for (let i = 0; i < count; i++) {
      const es = pos; const field = str(); const desc = pos; pos++; u32();
      if (unusedExport(field)) { dropped++; continue; }
      // The glue reads the exports as `wasm.NAME` only (its `wasm` is the instance's exports object): an export
      // it reads gets a short name there and here (the closure shims' names carry a 16-hex hash each).
      const uses = /^[A-Za-z0-9_]+$/.test(field) && field !== "memory" ? new RegExp(`(?<![A-Za-z0-9_$.])wasm\\.${field}(?![A-Za-z0-9_$])`, "g") : null;
      if (uses && uses.test(js)) {
        const n = short(renamedExports++);
        js = js.replace(uses, `wasm.${n}`);
        keep.push(Buffer.concat([name(n), wasm.subarray(desc, pos)])); kept.push(n);
      } else if (uses) {
        // An export the glue never reads (`main`, which the start function calls; globals wasm-bindgen and
        // Leptos's wasm-split leave exported): nothing outside the wasm can reach it, so it goes, and wasm-opt
        // keeps what the wasm itself still uses.
        unread++;
      } else { keep.push(wasm.subarray(es, pos)); kept.push(field); }
    }
    if (pos !== end) fail("export section not read to its end");
    if (new Set(kept).size !== kept.length) fail("two exports with the same name after renaming");
    if (/(?<![A-Za-z0-9_$])wasm\[/.test(js)) fail("the glue reads an export by a computed name");
    const content = Buffer.concat([leb(keep.length), ...keep]);
    parts.push(Buffer.from([7]), leb(content.length), content);
  } else if (id === 0 && (() => { const p = pos; const n = str(); pos = p; return n === "__wasm_split_unstable"; })()) {
    // Leptos's wasm-split marker section (for cargo-leptos's code splitting, which this build does not use).
  } else if (id === 0 && (() => { const p = pos; const n = str(); pos = p; return n === LANG_SECTION; })()) {
    str(); langFiles(wasm.subarray(pos, end)); // written out (see langFiles), not kept in the wasm
  } else parts.push(wasm.subarray(start, end));
  pos = end;
}
// (No exports of them left in the wasm is expected: scripts/wasm-ld.sh already keeps the linker from exporting them.)
for (const c of removed) if (js.includes(`wasm.${c}_`)) fail(`the glue still calls an export of ${c}`);

// --- 3. wasm-opt ----------------------------------------------------------------------------------------------------
// The order of the functions, for gzip: wasm-opt's --reorder-functions-by-name sorts them by the names this gives
// them: the first parts of the function's path (three for the desktop's own: its module; two for the others: a
// crate's first module, or `T as` a trait's crate), then the first 32 bytes of its body (locals and first
// instructions), so functions that look alike sit side by side where gzip finds them (-2,063 B gzip against sorting
// by the plain names; the release keeps no names; the names-kept build gets its names back below).
const SORT_SEP = "\u0001";
const sortKey = (n, body) => { const path = n.replace(/::h[0-9a-f]{16}$/, "").replace(/^<+/, "").split("::");
  return path.slice(0, path[0].startsWith("agent_desktop") ? 3 : 2).join("::") + "|" + body.subarray(0, 32).toString("hex") + SORT_SEP + n; };
const tmp = mkdtempSync(join(tmpdir(), "post-build-"));
const input = join(tmp, "in.wasm");
writeFileSync(input, mapFunctionNames(Buffer.concat(parts), sortKey, true));
const output = names ? args[2] : join(dir, wasmFile);
if (!output) fail("--names needs an output file");
const optimized = join(tmp, "opt.wasm"), ranked = join(tmp, "ranked.wasm");
// Each step says what failed; the temporary folder goes whatever happens (fail() exits, so it is removed first).
let step = "wasm-opt";
try {
  // Names kept (-g) for the second run, which orders the optimized functions (orderBySimilarity) and drops them.
  execFileSync("wasm-opt", [...WASM_OPT, "-g", input, "-o", optimized], { stdio: "inherit" });
  step = "ordering the optimized functions";
  writeFileSync(ranked, orderBySimilarity(readFileSync(optimized)));
  step = "wasm-opt (the reordering run)";
  execFileSync("wasm-opt", [...REORDER, ...(names ? ["-g"] : []), ranked, "-o", output], { stdio: "inherit" });
} catch (e) {
  rmSync(tmp, { recursive: true, force: true });
  fail(`${step} failed (${e.message})` + (step.startsWith("wasm-opt")
    ? "; scripts/install.sh installs binaryen's wasm-opt, scripts/env.sh puts it on PATH" : ""));
}
rmSync(tmp, { recursive: true, force: true });
if (names) writeFileSync(output, mapFunctionNames(readFileSync(output), (n) => n.slice(n.lastIndexOf(SORT_SEP) + 1) || null, false));
const blanked = blankPanicLocations(output);
if (names) process.exit(0);

// --- 4. minify the glue ---------------------------------------------------------------------------------------------
const tools = process.env.MINIFY_MODULES || join(process.env.HOME || "", ".cache/agent-desktop/tools/minify/node_modules");
const terserPath = join(tools, "terser/dist/bundle.min.js");
if (!existsSync(terserPath)) fail(`terser is missing (${terserPath}): run scripts/install.sh`);
const { minify } = await import(pathToFileURL(terserPath).href);
// unsafe_methods: the import object's functions written as methods ({ a(x) {..} } instead of { a: function(x) {..} });
// "unsafe" only for a function someone calls with `new`, and the wasm calls its imports as plain functions.
// hoist_funs: function declarations first in their scope. -100 B gzip on the glue (issue #16).
const min = await minify(js, { module: true, ecma: 2020, compress: { passes: 2, unsafe_methods: true, hoist_funs: true }, mangle: true });
if (!min.code) fail("terser returned nothing");
writeFileSync(join(dir, jsFile), min.code);

// --- 5. integrity ---------------------------------------------------------------------------------------------------
let html = readFileSync(join(dir, "index.html"), "utf8");
for (const f of [wasmFile, jsFile]) {
  const sri = "sha384-" + createHash("sha384").update(readFileSync(join(dir, f))).digest("base64");
  const file = f.replace(/\./g, "\\.");
  const after = new RegExp(`(href="?[^" >]*${file}"?[^>]*?integrity="?)sha384-[A-Za-z0-9+/=]+`);
  const before = new RegExp(`(integrity="?)sha384-[A-Za-z0-9+/=]+("?[^>]*href="?[^" >]*${file})`);
  if (after.test(html)) html = html.replace(after, `$1${sri}`);
  else if (before.test(html)) html = html.replace(before, `$1${sri}$2`);
  else fail(`no integrity attribute for ${f} in index.html`);
}
writeFileSync(join(dir, "index.html"), html);
console.log(`post-build: ${langWritten.join(", ") || "no language file"} written, ${renamed} imports and ${renamedExports} exports renamed, ${dropped + unread} unused exports removed, wasm-opt ${WASM_OPT.join(" ")}, ` +
  `${blanked.records} panic locations, ${blanked.files} file names and ${blanked.texts} panic texts blanked, ${jsFile} minified to ${min.code.length} bytes, ` +
  `integrity updated`);

// Panic locations: `core::panic::Location` records, { file: &str (address, length), line, column }, 16 bytes each
// in the data, one per panic site, and the source file names they point to (`/root/.cargo/registry/...` and
// `/rustc/<hash>/library/...` paths for dependencies and std). They only serve the panic message, which the release
// never prints (panic = "abort"; no panic hook; std's own hook writes to a stderr that does not exist on
// wasm32-unknown-unknown), and stable Rust cannot leave them out (`-Zlocation-detail=none` is nightly). Zeroing them
// (a record keeps its name's address, so it stays a valid empty &str) keeps every address as it was (the code points
// at the records) and gzip makes the zeros almost free. A record is
// a 4-aligned (address, length, line >= 1, column >= 1) whose name ends where a `.rs` path in the data ends (at its
// start, or inside it at a tail the linker shared); a path is blanked only when no `i32.const` in the code and no
// other data word points anywhere into it (so a `file!()` string or a path kept for another use stays). Returns the
// counts.
function blankPanicLocations(file) {
  const w = readFileSync(file);
  let p = 8;
  const rd = () => { let r = 0, s = 0, b; do { b = w[p++]; r |= (b & 0x7f) << s; s += 7; } while (b & 0x80); return r >>> 0; };
  const segs = []; let code = null;
  while (p < w.length) {
    const id = w[p++]; const size = rd(); const start = p;
    if (id === 10) code = w.subarray(start, start + size);
    if (id === 11) {
      for (let n = rd(); n > 0; n--) {
        const flag = rd();
        if (flag === 1) { const len = rd(); p += len; continue; } // passive: no address known here
        if (flag === 2) rd();
        if (flag !== 0 && flag !== 2) fail(`unexpected data segment kind ${flag}`);
        if (w[p++] !== 0x41) fail("a data segment's offset is not an i32.const");
        let addr = 0, sh = 0, b; do { b = w[p++]; addr |= (b & 0x7f) << sh; sh += 7; } while (b & 0x80);
        if (w[p++] !== 0x0b) fail("a data segment's offset is not a constant");
        const len = rd(); segs.push({ addr: addr >>> 0, at: p, len }); p += len;
      }
    }
    p = start + size;
  }
  const text = (seg) => w.toString("latin1", seg.at, seg.at + seg.len);
  const paths = new Map(); // address -> length
  const pathRe = /(?:\/rustc\/[0-9a-f]{40}\/library\/|\/[A-Za-z0-9_.\/-]*?\/registry\/src\/|\/rust\/deps\/|src\/)[A-Za-z0-9_.\/-]*?\.rs/g;
  for (const seg of segs) for (const m of text(seg).matchAll(pathRe)) paths.set(seg.addr + m.index, m[0].length);
  // Paths by address, to find the one an address falls in (the linker keeps a name that is the tail of another
  // inside the longer one: a record may point into the middle of a path, at a tail that ends where it ends).
  const spans = [...paths].map(([addr, len]) => [addr, len]).sort((a, b) => a[0] - b[0]);
  const within = (v) => { let lo = 0, hi = spans.length - 1;
    while (lo <= hi) { const mid = (lo + hi) >> 1; const [a, l] = spans[mid];
      if (v < a) hi = mid - 1; else if (v > a + l) lo = mid + 1; else return spans[mid]; }
    return null; };
  const records = []; const others = []; // other data words that point into a path
  for (const seg of segs) {
    for (let i = (4 - (seg.addr % 4)) % 4; i + 4 <= seg.len; i += 4) {
      const v = w.readUInt32LE(seg.at + i); const span = within(v);
      if (!span) continue;
      const isRecord = i + 16 <= seg.len && v + w.readUInt32LE(seg.at + i + 4) === span[0] + span[1] && (() => {
        const line = w.readUInt32LE(seg.at + i + 8), col = w.readUInt32LE(seg.at + i + 12);
        return line >= 1 && line <= 1e6 && col >= 1 && col <= 1e4; })();
      if (!isRecord) { others.push(v); continue; }
      records.push(seg.at + i); i += 12;
    }
  }
  // The record keeps its file address (a valid pointer, now to an empty name); length, line and column become 0.
  for (const at of records) w.fill(0, at + 4, at + 16);
  // Every i32.const in the code that could be an address (a byte 0x41 read as the opcode: other bytes that happen to
  // be 0x41 only add false matches, which keep more paths, never fewer).
  const consts = [];
  if (code) for (let i = 0; i < code.length; i++) {
    if (code[i] !== 0x41) continue;
    let n = 0, sh = 0, b, j = i + 1; do { b = code[j++]; n |= (b & 0x7f) << sh; sh += 7; } while (b & 0x80 && sh < 35);
    if (sh < 32 && (b & 0x40)) n |= -1 << sh;
    if (within(n >>> 0)) consts.push(n >>> 0);
  }
  // A path is blanked only when nothing but blanked records points into it: no other data word and no constant in
  // the code lands anywhere from its first byte to its end.
  const used = new Set();
  for (const v of [...others, ...consts]) used.add(within(v)[0]);
  let files = 0;
  for (const [addr, len] of spans) {
    if (used.has(addr)) continue;
    const seg = segs.find((s) => s.addr <= addr && addr + len <= s.addr + s.len);
    w.fill(0, seg.at + addr - seg.addr, seg.at + addr - seg.addr + len); files++;
  }
  // Dependencies' panic messages (also only for a panic message, never printed): tachys's 480-byte `expect` text
  // about the `ssr` feature, found by its first and last words; blanked when found once and nothing points inside.
  let texts = 0;
  for (const re of DEAD_TEXTS) {
    const hits = segs.flatMap((seg) => [...text(seg).matchAll(re)].map((m) => ({ seg, addr: seg.addr + m.index, len: m[0].length })));
    if (hits.length !== 1) { console.warn(`post-build: ${hits.length} copies of ${re} (expected one): left as is`); continue; }
    const { seg, addr, len } = hits[0];
    const inside = (v) => v > addr && v < addr + len;
    if (others.some(inside) || segs.some((sg) => { for (let i = (4 - (sg.addr % 4)) % 4; i + 4 <= sg.len; i += 4) if (inside(w.readUInt32LE(sg.at + i))) return true; return false; })) continue;
    let pointed = false;
    if (code) for (let i = 0; i < code.length && !pointed; i++) {
      if (code[i] !== 0x41) continue;
      let n = 0, sh = 0, b, j = i + 1; do { b = code[j++]; n |= (b & 0x7f) << sh; sh += 7; } while (b & 0x80 && sh < 35);
      if (sh < 32 && (b & 0x40)) n |= -1 << sh;
      pointed = inside(n >>> 0);
    }
    if (pointed) continue;
    w.fill(0, seg.at + addr - seg.addr, seg.at + addr - seg.addr + len); texts++;
  }
  if (records.length < 100) console.warn(`post-build: only ${records.length} panic location records found (the layout of core::panic::Location may have changed; the size saving is lost)`);
  writeFileSync(file, w);
  return { records: records.length, files, texts };
}

// The order of the optimized functions, for gzip (its window is 32 KB): the first run's order (module, then the
// start of the unoptimized body) keeps each module's functions together; within a module, each function is followed
// by the one whose optimized body is most alike (greedy nearest neighbour, from the module's first function):
// alike = the number of equal minimums among 128 MinHash values of its 4-byte substrings (an estimate of the share
// of substrings both bodies have). Returns `buf` with every function named by its rank (then its old name), which
// wasm-opt's --reorder-functions-by-name turns into the order. Measured on the wasm (gzip -9): 310,875 -> about
// 310,150 B (-600 to -760 over hash seeds; over all functions without the modules: -300; other orders, by size
// +4,900, by optimized body +3,100, module then first 32 optimized bytes +300, 3- 6- or 8-byte substrings, 256 values
// or the best of the last 3 functions: no better). Deterministic: fixed hashes, ties to the lower index.
function orderBySimilarity(buf) {
  const K = 128, SH = 4;
  const bodies = [], keys = [];
  mapFunctionNames(buf, (n, body) => { bodies.push(body); const k = n.indexOf(SORT_SEP); keys.push(k < 0 ? "" : n.slice(0, n.indexOf("|"))); return n; }, true, true);
  const seeds = Array.from({ length: K }, (_, i) => (Math.imul(i + 1, 0x9e3779b1) ^ 0x85ebca6b) >>> 0);
  const sigs = bodies.map((b) => { const s = new Uint32Array(K).fill(0xffffffff);
    for (let i = 0; i + SH <= b.length; i++) {
      let h = 0x811c9dc5; for (let j = 0; j < SH; j++) h = Math.imul(h ^ b[i + j], 0x01000193);
      for (let k = 0; k < K; k++) { let v = Math.imul(h ^ seeds[k], 0x85ebca6b); v ^= v >>> 13; v = Math.imul(v, 0xc2b2ae35) >>> 0; v ^= v >>> 16; v >>>= 0; if (v < s[k]) s[k] = v; }
    }
    return s; });
  const groups = new Map(); // module -> its functions, in the first run's order (which is by module already)
  keys.forEach((k, i) => { if (!groups.has(k)) groups.set(k, []); groups.get(k).push(i); });
  const order = [];
  for (const g of groups.values()) {
    const left = new Set(g); let cur = g[0];
    for (;;) { order.push(cur); left.delete(cur); if (!left.size) break;
      const a = sigs[cur]; let best = -1, bs = -1;
      for (const j of left) { const b = sigs[j]; let c = 0; for (let k = 0; k < K; k++) if (a[k] === b[k]) c++; if (c > bs) { bs = c; best = j; } }
      cur = best; }
  }
  if (order.length !== bodies.length) throw new Error("the functions' order lost some");
  const rank = new Array(bodies.length); order.forEach((d, r) => { rank[d] = r; });
  let i = 0;
  return mapFunctionNames(buf, (n) => String(rank[i++]).padStart(6, "0") + SORT_SEP + n, true, true);
}

// The wasm `buf` with each function's name in the name section replaced by f(name, body) (body: the function's code
// entry; name "" for a function the section does not name; f's null: no name). `required`: fail when there is no name section. `all`:
// name every defined function, in index order (f is called for each, in order).
function mapFunctionNames(buf, f, required, all = false) {
  let p = 8;
  const rd = () => { let r = 0, s = 0, b; do { b = buf[p++]; r |= (b & 0x7f) << s; s += 7; } while (b & 0x80); return r >>> 0; };
  const skip = () => { const n = rd(); p += n; };
  let imported = 0, nameSec = null; const bodies = [];
  while (p < buf.length) {
    const start = p; const id = buf[p++]; const size = rd(); const body = p; const end = p + size;
    if (id === 2) {
      for (let n = rd(); n > 0; n--) { skip(); skip(); const kind = buf[p++];
        if (kind === 0) { rd(); imported++; } else if (kind === 1) { p++; const fl = rd(); rd(); if (fl & 1) rd(); }
        else if (kind === 2) { const fl = rd(); rd(); if (fl & 1) rd(); } else if (kind === 3) { p += 2; } else fail(`unknown import kind ${kind}`); }
    } else if (id === 10) {
      for (let n = rd(); n > 0; n--) { const sz = rd(); bodies.push(buf.subarray(p, p + sz)); p += sz; }
    } else if (id === 0) {
      const n = rd(); if (buf.toString("utf8", p, p + n) === "name") nameSec = { start, end, at: p + n };
    }
    p = end;
  }
  if (!nameSec) { if (required) fail("the wasm has no name section: the functions cannot be ordered by name"); return buf; }
  const out = [name("name")];
  p = nameSec.at;
  while (p < nameSec.end) {
    const sub = p; const id = buf[p++]; const len = rd(); const end = p + len;
    if (id === 1) {
      const entries = [], had = new Map();
      for (let n = rd(); n > 0; n--) { const i = rd(); const l = rd(); had.set(i, buf.toString("utf8", p, p + l)); p += l; }
      if (all) for (let i = imported; i < imported + bodies.length; i++) if (!had.has(i)) had.set(i, "");
      for (const i of [...had.keys()].sort((a, b) => a - b)) {
        const old = had.get(i); const nw = i >= imported && bodies[i - imported] ? f(old, bodies[i - imported]) : old;
        if (nw !== null) entries.push(Buffer.concat([leb(i), name(nw)]));
      }
      const content = Buffer.concat([leb(entries.length), ...entries]);
      out.push(Buffer.from([1]), leb(content.length), content);
    } else out.push(buf.subarray(sub, end));
    p = end;
  }
  const content = Buffer.concat(out);
  return Buffer.concat([buf.subarray(0, nameSec.start), Buffer.from([0]), leb(content.length), content, buf.subarray(nameSec.end)]);
}
