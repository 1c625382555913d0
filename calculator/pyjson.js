// Python's json.loads and repr(), as the calculator needs them to read a config.json exactly as the package does.
//
// The package reads config files with Python's json module (everybyte.hf) and names bad values with repr() in its
// error messages.  The calculator must accept, refuse and describe the same texts, so this file follows CPython's
// decoder (Lib/json/decoder.py and scanner.py, with the messages of its C accelerator _json, which json.loads uses):
// the same grammar (NaN and Infinity included), the same error messages and positions, integers as BigInt (Python ints are exact), floats as Numbers.  Hand-written: this
// is parsing, not a formula; tests/browser/check_calculator.py compares it with Python on random and broken texts.
(function (root) {
  "use strict";

  class JSONDecodeError extends Error {
    constructor(msg, doc, pos) {
      const lineno = (doc.slice(0, pos).match(/\n/g) || []).length + 1;
      const colno = pos - doc.lastIndexOf("\n", pos - 1);
      super(`${msg}: line ${lineno} column ${colno} (char ${pos})`);
      this.msg = msg;
      this.pos = pos;
      this.lineno = lineno;
      this.colno = colno;
    }
  }

  class StopIteration {
    constructor(value) { this.value = value; }
  }

  const WS = " \t\n\r";
  const BACKSLASH = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
  const NUMBER = /(-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)?/y;
  const MAX_INT_DIGITS = 4300;  // Python 3.11's int max str digits

  function skip(s, end) {
    while (end < s.length && WS.includes(s[end])) end += 1;
    return end;
  }

  function decodeU(s, pos) {
    const esc = s.slice(pos + 1, pos + 5);
    if (esc.length === 4 && !"xX".includes(esc[1]) && /^[0-9a-fA-F]{4}$/.test(esc)) return parseInt(esc, 16);
    throw new JSONDecodeError("Invalid \\uXXXX escape", s, pos);
  }

  function scanString(s, end) {
    const chunks = [];
    const begin = end - 1;
    for (;;) {
      let i = end;
      while (i < s.length && s[i] !== '"' && s[i] !== "\\" && s.charCodeAt(i) > 0x1f) i += 1;
      if (i >= s.length) throw new JSONDecodeError("Unterminated string starting at", s, begin);
      if (i > end) chunks.push(s.slice(end, i));
      const terminator = s[i];
      end = i + 1;
      if (terminator === '"') break;
      if (terminator !== "\\") throw new JSONDecodeError("Invalid control character at", s, i);
      if (end >= s.length) throw new JSONDecodeError("Unterminated string starting at", s, begin);
      const esc = s[end];
      if (esc !== "u") {
        if (!(esc in BACKSLASH)) throw new JSONDecodeError("Invalid \\escape", s, end - 1);
        chunks.push(BACKSLASH[esc]);
        end += 1;
      } else {
        let uni = decodeU(s, end);
        end += 5;
        if (uni >= 0xd800 && uni <= 0xdbff && s.slice(end, end + 2) === "\\u") {
          const uni2 = decodeU(s, end + 1);
          if (uni2 >= 0xdc00 && uni2 <= 0xdfff) {
            uni = 0x10000 + (((uni - 0xd800) << 10) | (uni2 - 0xdc00));
            end += 6;
          }
        }
        chunks.push(String.fromCodePoint(uni));
      }
    }
    return [chunks.join(""), end];
  }

  function parseObject(s, end) {
    const pairs = new Map();
    let next = s.slice(end, end + 1);
    if (next !== '"') {
      if (WS.includes(next) && next !== "") { end = skip(s, end); next = s.slice(end, end + 1); }
      if (next === "}") return [pairs, end + 1];
      if (next !== '"') throw new JSONDecodeError("Expecting property name enclosed in double quotes", s, end);
    }
    end += 1;
    for (;;) {
      let key;
      [key, end] = scanString(s, end);
      if (s.slice(end, end + 1) !== ":") {
        end = skip(s, end);
        if (s.slice(end, end + 1) !== ":") throw new JSONDecodeError("Expecting ':' delimiter", s, end);
      }
      end += 1;
      end = skip(s, end);
      let value;
      [value, end] = scanValue(s, end);
      pairs.set(key, value);  // a repeated key: the last value wins, in the first key's place (as a Python dict)
      let nextchar = end < s.length ? s[end] : "";
      if (nextchar !== "" && WS.includes(nextchar)) { end = skip(s, end + 1); nextchar = end < s.length ? s[end] : ""; }
      end += 1;
      if (nextchar === "}") break;
      if (nextchar !== ",") throw new JSONDecodeError("Expecting ',' delimiter", s, end - 1);
      end = skip(s, end);
      nextchar = s.slice(end, end + 1);
      end += 1;
      if (nextchar !== '"') throw new JSONDecodeError("Expecting property name enclosed in double quotes", s, end - 1);
    }
    return [pairs, end];
  }

  // A value inside an object or an array: where none starts, Python says "Expecting value" at that place.
  function scanValue(s, end) {
    try {
      return scanOnce(s, end);
    } catch (error) {
      if (error instanceof StopIteration) throw new JSONDecodeError("Expecting value", s, error.value);
      throw error;
    }
  }

  function parseArray(s, end) {
    const values = [];
    let next = s.slice(end, end + 1);
    if (next !== "" && WS.includes(next)) { end = skip(s, end + 1); next = s.slice(end, end + 1); }
    if (next === "]") return [values, end + 1];
    for (;;) {
      let value;
      [value, end] = scanValue(s, end);
      values.push(value);
      next = s.slice(end, end + 1);
      if (next !== "" && WS.includes(next)) { end = skip(s, end + 1); next = s.slice(end, end + 1); }
      end += 1;
      if (next === "]") break;
      if (next !== ",") throw new JSONDecodeError("Expecting ',' delimiter", s, end - 1);
      end = skip(s, end);
    }
    return [values, end];
  }

  function scanOnce(s, idx) {
    if (idx >= s.length) throw new StopIteration(idx);
    const c = s[idx];
    if (c === '"') return scanString(s, idx + 1);
    if (c === "{") return parseObject(s, idx + 1);
    if (c === "[") return parseArray(s, idx + 1);
    if (c === "n" && s.startsWith("null", idx)) return [null, idx + 4];
    if (c === "t" && s.startsWith("true", idx)) return [true, idx + 4];
    if (c === "f" && s.startsWith("false", idx)) return [false, idx + 5];
    NUMBER.lastIndex = idx;
    const m = NUMBER.exec(s);
    if (m) {
      const [text, integer, frac, exp] = m;
      if (frac || exp) return [new PyFloat(Number(text)), idx + text.length];
      const digits = integer.replace("-", "").length;
      if (digits > MAX_INT_DIGITS) {
        throw new Error(`Exceeds the limit (${MAX_INT_DIGITS} digits) for integer string conversion: value has ` +
                        `${digits} digits; use sys.set_int_max_str_digits() to increase the limit`);
      }
      return [BigInt(integer), idx + text.length];
    }
    if (c === "N" && s.startsWith("NaN", idx)) return [new PyFloat(NaN), idx + 3];
    if (c === "I" && s.startsWith("Infinity", idx)) return [new PyFloat(Infinity), idx + 8];
    if (c === "-" && s.startsWith("-Infinity", idx)) return [new PyFloat(-Infinity), idx + 9];
    throw new StopIteration(idx);
  }

  // A Python float: a Number that remembers it was written as one (1.0 is not the int 1).
  class PyFloat {
    constructor(value) { this.value = value; }
  }

  function loads(s) {
    if (s.length && s.charCodeAt(0) === 0xfeff) {
      throw new JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", s, 0);
    }
    let value, end;
    try {
      [value, end] = scanOnce(s, skip(s, 0));
    } catch (error) {
      if (error instanceof StopIteration) throw new JSONDecodeError("Expecting value", s, error.value);
      throw error;
    }
    end = skip(s, end);
    if (end !== s.length) throw new JSONDecodeError("Extra data", s, end);
    return value;
  }

  // --- repr ---------------------------------------------------------------------------------

  function reprFloat(x) {
    if (Number.isNaN(x)) return "nan";
    if (x === Infinity) return "inf";
    if (x === -Infinity) return "-inf";
    if (Object.is(x, -0)) return "-0.0";
    if (x === 0) return "0.0";
    // Python's repr: the shortest digits that round-trip, in scientific form when the
    // exponent is below -4 or at least 16.
    const [mantissa, exponentText] = x.toExponential().split("e");
    const exponent = Number(exponentText);
    const digits = mantissa.replace("-", "").replace(".", "");
    const sign = x < 0 ? "-" : "";
    if (exponent < -4 || exponent >= 16) {
      const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
      return `${sign}${m}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
    }
    if (exponent >= 0) {
      const whole = digits.length > exponent + 1 ? digits.slice(0, exponent + 1) : digits.padEnd(exponent + 1, "0");
      const fraction = digits.length > exponent + 1 ? digits.slice(exponent + 1) : "0";
      return `${sign}${whole}.${fraction}`;
    }
    return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
  }

  function isPrintable(cp) {
    // Python's str.isprintable for the characters a config carries: not a control, separator or unassigned.
    const ch = String.fromCodePoint(cp);
    if (cp === 0x20) return true;
    return !/[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u.test(ch);
  }

  function reprString(s) {
    const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
    let out = quote;
    for (const ch of s) {
      const cp = ch.codePointAt(0);
      if (ch === quote || ch === "\\") out += "\\" + ch;
      else if (ch === "\t") out += "\\t";
      else if (ch === "\n") out += "\\n";
      else if (ch === "\r") out += "\\r";
      else if (cp < 0x20 || cp === 0x7f) out += "\\x" + cp.toString(16).padStart(2, "0");
      else if (cp < 0x7f || isPrintable(cp)) out += ch;
      else if (cp <= 0xff) out += "\\x" + cp.toString(16).padStart(2, "0");
      else if (cp <= 0xffff) out += "\\u" + cp.toString(16).padStart(4, "0");
      else out += "\\U" + cp.toString(16).padStart(8, "0");
    }
    return out + quote;
  }

  function repr(value) {
    if (value === null || value === undefined) return "None";
    if (value === true) return "True";
    if (value === false) return "False";
    if (typeof value === "bigint") return value.toString();
    if (value instanceof PyFloat) return reprFloat(value.value);
    if (typeof value === "number") return Number.isInteger(value) ? String(value) : reprFloat(value);
    if (typeof value === "string") return reprString(value);
    if (Array.isArray(value)) return "[" + value.map(repr).join(", ") + "]";
    if (value instanceof Map) return "{" + [...value].map(([k, v]) => `${repr(k)}: ${repr(v)}`).join(", ") + "}";
    return String(value);
  }

  // Python's type name of a decoded JSON value.
  function typeName(value) {
    if (value === null) return "NoneType";
    if (typeof value === "boolean") return "bool";
    if (typeof value === "bigint") return "int";
    if (value instanceof PyFloat) return "float";
    if (typeof value === "string") return "str";
    if (Array.isArray(value)) return "list";
    if (value instanceof Map) return "dict";
    return typeof value;
  }

  root.pyjson = { loads, repr, typeName, JSONDecodeError, PyFloat };
})(typeof window !== "undefined" ? window : globalThis);
