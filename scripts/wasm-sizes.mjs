// Where the bytes of a wasm file go: reads a names-kept build (wasm-opt -g) and sums the code of every function by
// the crate (and, for the desktop itself, the module) its name says it belongs to, plus data and the other sections.
// Prints raw bytes and the gzip -9 size of each group compressed on its own (groups compress a bit better together,
// so the gzip column adds up to a little more than the whole file's gzip).
//   node scripts/wasm-sizes.mjs FILE.wasm [rows]
// With --functions, the biggest functions instead (code bytes, raw), each with its group; a regex keeps only the
// functions whose name (or group) matches, e.g. `hashbrown|indexmap` or `^core::ptr::drop_in_place`:
//   node scripts/wasm-sizes.mjs FILE.wasm --functions [rows] [regex]
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const args = process.argv.slice(2);
const functions = args[1] === "--functions";
const [file, rowsArg, filterArg] = functions ? [args[0], args[2], args[3]] : args;
const buf = readFileSync(file);
let pos = 8;
const u32 = () => { let r = 0, s = 0, b; do { b = buf[pos++]; r |= (b & 0x7f) << s; s += 7; } while (b & 0x80); return r >>> 0; };
const str = () => { const n = u32(); const s = buf.toString("utf8", pos, pos + n); pos += n; return s; };

const sections = []; // { id, name, start, end }
while (pos < buf.length) {
  const id = buf[pos++]; const size = u32(); const start = pos;
  const name = id === 0 ? str() : ["custom", "type", "import", "function", "table", "memory", "global", "export",
    "start", "element", "code", "data", "datacount", "tag"][id] || `section ${id}`;
  sections.push({ id, name, start, payload: pos, end: start + size });
  pos = start + size;
}
const names = new Map(); const dataNames = new Map(); let imported = 0;
for (const s of sections) {
  if (s.id === 2) { // imports: count imported functions (they come first in the function index space)
    pos = s.start; for (let n = u32(); n > 0; n--) { str(); str(); const kind = buf[pos++];
      if (kind === 0) { u32(); imported++; } else if (kind === 1) { pos++; const f = u32(); u32(); if (f & 1) u32(); }
      else if (kind === 2) { const f = u32(); u32(); if (f & 1) u32(); } else if (kind === 3) { pos += 2; } else u32(); }
  }
  if (s.id === 0 && s.name === "name") {
    pos = s.payload;
    while (pos < s.end) { const sub = buf[pos++]; const len = u32(); const end = pos + len;
      if (sub === 1 || sub === 9) { for (let n = u32(); n > 0; n--) { const i = u32(); (sub === 1 ? names : dataNames).set(i, str()); } }
      pos = end; }
  }
}
// The owner of a function: for `<Type as Trait>::f` the type's path (the trait's when the type is generic, a tuple
// or a primitive), for drop glue the dropped type's path, else the function's own path. Then the crate, and for the
// desktop (agent_desktop) its top module. wasm-bindgen's generated shims and Rust's runtime get groups of their own.
const PRIMITIVE = /^(u8|u16|u32|u64|u128|usize|i8|i16|i32|i64|i128|isize|f32|f64|bool|char|str)$/;
function owner(name) {
  if (!name || /^code\[/.test(name)) return "(no name: made by wasm-bindgen or wasm-opt)";
  if (/externref shim$|^__wbindgen_|^__externref_|^__wbg_/.test(name)) return "wasm_bindgen (generated shims)";
  if (/^(intounderlying|__wbg_intounderlying)/.test(name)) return "wasm_streams";
  if (/^(main|__rustc|__rust_|__multi3|__powi|__ashl|__lshr|__udiv|__umod|__div|__mod|memcpy|memset|memmove|memcmp)/.test(name)) return "std (runtime)";
  let n = name.replace(/^core::ptr::drop_in_place<(.*)>::h[0-9a-f]{16}$/, "$1");
  const impl = /^<+((?:impl |dyn |&(?:mut )?|\*(?:const|mut) )*)(.*?) as ([A-Za-z_][A-Za-z0-9_]*(?:\[[0-9a-f]+\])?::)/.exec(n);
  if (impl) {
    const ty = impl[2];
    n = /^([A-Z][A-Za-z0-9_]*(<|$)|\(|\[|(u8|u16|u32|u64|u128|usize|i8|i16|i32|i64|i128|isize|f32|f64|bool|char|str)\b)/.test(ty) ? impl[3] : ty;
  }
  n = n.replace(/^<+/, "").replace(/^(impl |dyn |&(mut )?|\*(const|mut) |\[)+/, "");
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(\[[0-9a-f]+\])?(::([A-Za-z_][A-Za-z0-9_]*))?/.exec(n);
  if (!m) return "(other)";
  const crate = m[1];
  if (PRIMITIVE.test(crate)) return "core";
  if (/^[A-Z]/.test(crate)) return "(generic)";
  if (crate === "agent_desktop" && m[4] && /^[a-z_]+$/.test(m[4])) return `agent_desktop::${m[4]}`;
  return crate;
}
if (functions) {
  const filter = filterArg ? new RegExp(filterArg) : null;
  const list = [];
  for (const s of sections) if (s.id === 10) {
    pos = s.start; const count = u32();
    for (let i = 0; i < count; i++) { const size = u32(); pos += size;
      const name = names.get(imported + i) || `code[${i}]`; const group = owner(names.get(imported + i) || "");
      if (!filter || filter.test(name) || filter.test(group)) list.push([size, name, group]); }
  }
  list.sort((a, b) => b[0] - a[0]);
  const max = Number(rowsArg || 40), total = list.reduce((a, f) => a + f[0], 0);
  console.log(`biggest functions (names-kept build, code bytes raw; ${list.length} functions${filter ? ` matching /${filterArg}/` : ""}, ${total} bytes)`);
  for (const [size, name, group] of list.slice(0, max)) console.log(`${String(size).padStart(7)}  ${name.replace(/::h[0-9a-f]{16}$/, "")}  [${group}]`);
  process.exit(0);
}
const groups = new Map();
const add = (key, bytes) => { const g = groups.get(key) || { raw: 0, parts: [] }; g.raw += bytes.length; g.parts.push(bytes); groups.set(key, g); };
for (const s of sections) {
  if (s.id === 10) {
    pos = s.start; const count = u32();
    for (let i = 0; i < count; i++) { const size = u32(); const body = buf.subarray(pos, pos + size); pos += size;
      add(owner(names.get(imported + i) || ""), body); }
  } else if (s.id === 11) {
    add("(data: strings, tables)", buf.subarray(s.start, s.end));
  } else if (!(s.id === 0 && (s.name === "name" || s.name === "producers" || s.name.startsWith(".debug")))) {
    add("(other sections)", buf.subarray(s.start, s.end));
  }
}
const rows = [...groups].map(([k, g]) => [k, g.raw, gzipSync(Buffer.concat(g.parts), { level: 9 }).length])
  .sort((a, b) => b[2] - a[2]);
const max = Number(rowsArg || 25); let rest = [0, 0, 0];
const totalRaw = rows.reduce((a, r) => a + r[1], 0), totalGz = rows.reduce((a, r) => a + r[2], 0);
console.log(`where the wasm's bytes go (names-kept build, ${rows.length} groups; gzip: each group alone)`);
console.log(`${"raw".padStart(9)} ${"gzip".padStart(8)} ${"%gz".padStart(5)}  group`);
rows.forEach((r, i) => {
  if (i < max) console.log(`${String(r[1]).padStart(9)} ${String(r[2]).padStart(8)} ${(100 * r[2] / totalGz).toFixed(1).padStart(5)}  ${r[0]}`);
  else { rest[0]++; rest[1] += r[1]; rest[2] += r[2]; }
});
if (rest[0]) console.log(`${String(rest[1]).padStart(9)} ${String(rest[2]).padStart(8)} ${(100 * rest[2] / totalGz).toFixed(1).padStart(5)}  (${rest[0]} more groups)`);
console.log(`${String(totalRaw).padStart(9)} ${String(totalGz).padStart(8)} 100.0  total`);
