// The calculator's port of what cannot be generated: reading a config.json (everybyte.hf.from_hf_config and the
// derive functions of everybyte.families), ModelConfig's checks and values(), the setup's symbol values, the
// withholding of terms in everybyte.pipeline.estimate and the command line's JSON (everybyte.cli).
//
// Hand-written, as small as it can be, and checked against Python by tests/browser/check_calculator.py on
// hundreds of random configs of every family.  Every formula is the generated code of everybyte_terms.js; every
// table comes from everybyte_data.js (exported from the package by everybyte.calcdata).  A pasted config is data:
// it is parsed by pyjson.js and never evaluated.
//
// Values keep Python's types as pyjson.js decodes them: ints are BigInt, floats pyjson.PyFloat, lists arrays,
// objects Map (the exported tables are plain objects).  Errors are Error(message) with the package's message.
(function (root) {
  "use strict";
  const D = root.everybyteData;
  const T = root.everybyteTerms;
  const { repr, typeName, PyFloat } = root.pyjson;

  class ValueError extends Error {}
  const fail = (message) => { throw new ValueError(message); };

  // --- Python semantics the port needs --------------------------------------------------------
  const isInt = (v) => typeof v === "bigint";
  const isReal = (v) => typeof v === "bigint" || v instanceof PyFloat;
  const num = (v) => (v instanceof PyFloat ? v.value : typeof v === "boolean" ? (v ? 1n : 0n) : v);
  const fnum = (v) => Number(num(v));
  const isList = (v) => Array.isArray(v);
  const isMap = (v) => v instanceof Map || (v !== null && typeof v === "object" && !Array.isArray(v) &&
                                            !(v instanceof PyFloat));
  const has = (m, k) => (m instanceof Map ? m.has(k) : Object.prototype.hasOwnProperty.call(m, k));
  const get = (m, k) => (m instanceof Map ? m.get(k) : m[k]);
  const big = (b) => (b ? 1n : 0n);
  const truthy = (v) => {
    if (v === null || v === undefined || v === false) return false;
    if (typeof v === "bigint") return v !== 0n;
    if (v instanceof PyFloat) return v.value !== 0;
    if (typeof v === "string" || Array.isArray(v)) return v.length > 0;
    if (v instanceof Map) return v.size > 0;
    return true;
  };
  const or = (a, b) => (truthy(a) ? a : b);
  const pyEq = (a, b) => {
    const numeric = (v) => typeof v === "bigint" || typeof v === "boolean" || v instanceof PyFloat;
    if (numeric(a) && numeric(b)) return num(a) == num(b);  // eslint-disable-line eqeqeq
    if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => pyEq(x, b[i]));
    return a === b;
  };
  const inList = (v, list) => list.some((x) => pyEq(v, x));
  const truncInt = (x) => {
    if (Number.isNaN(x)) fail("cannot convert float NaN to integer");
    if (!Number.isFinite(x)) throw new TypeError("cannot convert float infinity to integer");
    return BigInt(Math.trunc(x));
  };
  // (kind,) * n: Python cannot index beyond 2**63 - 1 (OverflowError, a defect report), nor hold a huge tuple.
  const times = (n, kind) => {
    if (n > 2n ** 63n - 1n) throw new TypeError("OverflowError: cannot fit 'int' into an index-sized integer");
    if (n > 2n ** 24n) throw new RangeError("too large");
    return Array(Number(n)).fill(kind);
  };
  const floorDiv = (a, b) => { const q = a / b; return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q; };
  const mod = (a, b) => a - floorDiv(a, b) * b;
  const fmtInt = (n) => n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");

  // --- everybyte.validation ---------------------------------------------------------------------
  const check = {
    positive_int(name, value) {
      if (typeof value === "boolean" || !isInt(value)) {
        fail(`${name} must be a positive integer (1, 2, 3, ...), got ${repr(value)} of type ${typeName(value)}`);
      }
      if (value < 1n) fail(`${name} must be a positive integer (1, 2, 3, ...), got ${value}`);
      return value;
    },
    non_negative_int(name, value) {
      if (typeof value === "boolean" || !isInt(value)) {
        fail(`${name} must be a non-negative integer (0, 1, 2, ...), got ${repr(value)} of type ${typeName(value)}`);
      }
      if (value < 0n) fail(`${name} must be a non-negative integer (0, 1, 2, ...), got ${value}`);
      return value;
    },
    boolean(name, value) {
      if (typeof value !== "boolean") fail(`${name} must be True or False, got ${repr(value)}`);
      return value;
    },
    choice(name, value, allowed) {
      allowed = [...allowed];
      if (typeof value !== "string" || !allowed.includes(value)) {
        fail(`${name} must be one of ${allowed.join(", ")}; got ${repr(value)}`);
      }
      return value;
    },
    fraction_in_unit_interval(name, value) {
      if (typeof value === "boolean" || !isReal(value) || Number.isNaN(fnum(value)) || num(value) < 0 ||
          num(value) >= 1) {
        fail(`${name} must be a number with 0 <= ${name} < 1, got ${repr(value)}`);
      }
      return value;
    },
  };
  const keys = (o) => Object.keys(o);
  const pyFloat = (v) => new PyFloat(fnum(v));

  // --- everybyte.families ---------------------------------------------------------------------
  function model_type_entry(model_type) {
    if (typeof model_type === "string" && has(D.REFUSED, model_type)) {
      fail(`model_type ${repr(model_type)} is not counted: ${D.REFUSED[model_type]}`);
    }
    if (typeof model_type !== "string" || !has(D.MODEL_TYPES, model_type)) {
      fail(`model_type must be one of ${D.SUPPORTED_MODEL_TYPES.join(", ")}; got ${repr(model_type)}`);
    }
    return D.MODEL_TYPES[model_type];
  }
  const family_of = (model_type) => D.FAMILIES[model_type_entry(model_type).family];
  function switches_of(model_type) {
    const entry = model_type_entry(model_type);
    const family = D.FAMILIES[entry.family];
    return { ...D.DEFAULT_SWITCHES, n_rot: big(family.rotary), ...family.switches, ...entry.switches };
  }

  function _integer(key, value, { none = false, zero = false } = {}) {
    if ((value === null || value === undefined) && none) return null;
    if (typeof value === "boolean" || !isInt(value) || value < (zero ? 0n : 1n)) {
      const what = zero ? "a non-negative integer" : "a positive integer";
      fail(`${key} must be ${what}${none ? " or null" : ""}, got ${repr(value)}`);
    }
    return value;
  }
  function _flag(key, value) {
    if (typeof value !== "boolean") fail(`${key} must be true or false, got ${repr(value)}`);
    return value;
  }
  function _indices(key, value) {
    if (value === null) return new Set();
    if (!isList(value) || !value.every((i) => isInt(i))) fail(`${key} must be a list of layer indices, got ${repr(value)}`);
    return new Set(value);
  }
  function _pattern(key, value, n_layers, names) {
    if (!isList(value) || BigInt(value.length) !== n_layers) {
      fail(`${key} must be a list of one entry per layer (${n_layers}), got ${repr(value)}`);
    }
    return value.map((kind) => {
      if (typeof kind !== "string" || !has(names, kind)) {
        fail(`${key} entries must be among ${keys(names).sort().join(", ")}; got ${repr(kind)}`);
      }
      return names[kind];
    });
  }
  const range = (n) => { const out = []; for (let i = 0n; i < n; i++) out.push(i); if (out.length > 2 ** 24) throw new RangeError(); return out; };
  const index = (seq, i) => {
    if (typeof seq === "string" || isList(seq)) {
      const v = seq[Number(i)];
      if (v === undefined) throw new TypeError("index out of range");
      return v;
    }
    throw new TypeError("not subscriptable");
  };
  const inp = (inputs, key) => { if (!has(inputs, key)) throw new TypeError(`KeyError: ${key}`); return inputs[key]; };
  const optional = (inputs, key) => (has(inputs, key) ? inputs[key] : null);

  // Factories (described by families.derive_spec) and named functions, by their Python names.
  const FACTORIES = {
    _steps: (...steps) => (inputs, fields) => {
      const out = {};
      for (const step of steps) Object.assign(out, step(inputs, { ...fields, ...out }));
      return out;
    },
    _attention_pattern: (rule) => (inputs, fields) => {
      const n = fields.n_layers;
      const window = _integer("sliding_window", optional(inputs, "sliding_window"), { none: true });
      const kinds = optional(inputs, "layer_types") !== null
        ? _pattern("layer_types", inputs.layer_types, n, D.ATTENTION_KINDS)
        : range(n).map((i) => rule(i, inputs, fields));
      return { layer_types: kinds, sliding_window: kinds.includes("sliding_attention") ? window : null };
    },
    _every: (period_key, default_period, first, rest, offset) => (i, inputs, fields) => {
      const period = period_key === null ? default_period : _integer(period_key, inp(inputs, period_key));
      return mod(i + offset, period) === 0n ? rest : first;
    },
    _every_layer: (field, kind) => (inputs, fields) => ({ [field]: times(fields.n_layers, kind) }),
    _qk_option: (key, kind) => (inputs) => ({ qk_norm: _flag(key, inp(inputs, key)) ? kind : "none" }),
    _moe_pattern: (rule) => (inputs, fields) => ({
      ffn_types: range(fields.n_layers).map((i) => (truthy(rule(i, inputs, fields)) ? "moe" : "dense")),
    }),
    _shared_experts: (count_key, width_key, always) => (inputs) => {
      const n = _integer(count_key, inp(inputs, count_key), { zero: true });
      const width = _integer(width_key, inp(inputs, width_key));
      return { d_shared: n * width, shared_expert: always || n > 0n };
    },
    _expand: (key_expand, key_inner) => (inputs, fields) => {
      let inner = key_inner ? optional(inputs, key_inner) : null;
      if (inner === null) {
        const expand = inp(inputs, key_expand);
        if (typeof expand === "boolean" || !isReal(expand) || !(num(expand) > 0)) {
          fail(`${key_expand} must be a positive number, got ${repr(expand)}`);
        }
        inner = isInt(expand) ? expand * fields.d_model : truncInt(expand.value * Number(fields.d_model));
      }
      return { ssm_inner: _integer(key_inner || key_expand, inner) };
    },
    _time_step_rank: (key) => (inputs, fields) => {
      const rank = inp(inputs, key);
      return { ssm_dt_rank: rank === "auto" ? -floorDiv(-fields.d_model, 16n) : _integer(key, rank) };
    },
    _mixer_pattern: (rule, names) => (inputs, fields) => {
      const n = fields.n_layers;
      if (optional(inputs, "layer_types") !== null) return { layer_types: _pattern("layer_types", inputs.layer_types, n, names) };
      return { layer_types: range(n).map((i) => rule(i, inputs, fields)) };
    },
  };

  const NAMED = {
    _window_everywhere(inputs, fields) {
      let window = _integer("sliding_window", inp(inputs, "sliding_window"), { none: true });
      if (has(inputs, "use_sliding_window") && !_flag("use_sliding_window", inputs.use_sliding_window)) window = null;
      return { sliding_window: window, layer_types: window === null ? null : times(fields.n_layers, "sliding_attention") };
    },
    _rotary_per_kind: (inputs, fields) => {
      if (!isList(fields.layer_types)) throw new TypeError("layer_types is None");
      return { rotary_sets: BigInt(new Set(fields.layer_types).size) };
    },
    _qwen_sliding(i, inputs) {
      const used = _flag("use_sliding_window", inputs.use_sliding_window) && inputs.sliding_window !== null;
      return used && i >= _integer("max_window_layers", inputs.max_window_layers, { zero: true })
        ? "sliding_attention" : "full_attention";
    },
    _qwen_moe_sliding(i, inputs) {
      const used = _flag("use_sliding_window", inputs.use_sliding_window);
      const below = i < _integer("max_window_layers", inputs.max_window_layers, { zero: true });
      return used && mod(i + 1n, 2n) !== 0n && below ? "sliding_attention" : "full_attention";
    },
    _llama4_chunked(i, inputs) {
      const no_rope = inputs.no_rope_layers;
      const interval = _integer("no_rope_layer_interval", inputs.no_rope_layer_interval);
      const uses_rope = truthy(no_rope) ? index(no_rope, i) : big(mod(i + 1n, interval) !== 0n);
      const chunked = truthy(uses_rope) && inputs.attention_chunk_size !== null;
      return chunked ? "chunked_attention" : "full_attention";
    },
    _exaone4_sliding(i, inputs) {
      if (inputs.sliding_window === null) return "full_attention";
      const period = _integer("sliding_window_pattern", inputs.sliding_window_pattern);
      return mod(i + 1n, period) !== 0n ? "sliding_attention" : "full_attention";
    },
    _smollm3_sliding(i, inputs) {
      const no_rope = inputs.no_rope_layers;
      const interval = _integer("no_rope_layer_interval", inputs.no_rope_layer_interval);
      const has_rope = isList(no_rope) && i < BigInt(no_rope.length) ? no_rope[Number(i)]
        : big(mod(i + 1n, interval) !== 0n);
      const used = _flag("use_sliding_window", inputs.use_sliding_window) && inputs.sliding_window !== null;
      return used && !truthy(has_rope) ? "sliding_attention" : "full_attention";
    },
    _sliding_if_window: (i, inputs) => (inputs.sliding_window !== null ? "sliding_attention" : "full_attention"),
    _gptj: (inputs, fields) => ({ rotary_dim: or(_integer("rotary_dim", inputs.rotary_dim, { none: true }), fields.d_model) }),
    _falcon(inputs, fields) {
      const isNew = _flag("new_decoder_architecture", truthy(inputs.new_decoder_architecture));
      const parallel = _flag("parallel_attn", inputs.parallel_attn);
      const bias = _flag("bias", inputs.bias);
      let lns = inputs.num_ln_in_parallel_attn;
      if (lns === null && isNew) lns = 2n;
      let kv;
      if (isNew) kv = or(_integer("num_kv_heads", inputs.num_kv_heads, { none: true }), fields.n_heads);
      else kv = _flag("multi_query", inputs.multi_query) ? 1n : fields.n_heads;
      return { n_kv_heads: kv, norms_per_layer: (!parallel || pyEq(lns, 2n)) ? 2n : 1n, parallel_residual: parallel,
               attention_bias: bias, output_bias: bias, mlp_bias: bias };
    },
    _gpt_bigcode(inputs, fields) {
      const multi_query = _flag("multi_query", inputs.multi_query);
      return { n_kv_heads: multi_query ? 1n : null, max_positions: fields.n_positions };
    },
    _stablelm: (inputs, fields) => ({
      qk_norm: _flag("qk_layernorm", inputs.qk_layernorm) ? "each_head" : "none",
      norms_per_layer: truthy(fields.parallel_residual) ? 1n : 2n,
    }),
    _phi(inputs) {
      const on = _flag("qk_layernorm", inputs.qk_layernorm);
      return { qk_norm: on ? "head" : "none", qk_norm_bias: on };
    },
    _sparse_step(i, inputs, fields) {
      const step = _integer("decoder_sparse_step", inputs.decoder_sparse_step);
      const dense = _indices("mlp_only_layers", inputs.mlp_only_layers);
      return !dense.has(i) && fields.n_experts > 0n && mod(i + 1n, step) === 0n;
    },
    _first_k_dense: (i, inputs) => i >= _integer("first_k_dense_replace", inputs.first_k_dense_replace, { zero: true }),
    _listed_moe_layers(i, inputs) {
      const listed = inputs.moe_layers;
      if (listed === null) {
        const step = _integer("interleave_moe_layer_step", inputs.interleave_moe_layer_step);
        return i >= step - 1n && mod(i - (step - 1n), step) === 0n;
      }
      return _indices("moe_layers", listed).has(i);
    },
    _ernie_moe(i, inputs, fields) {
      let end = inputs.moe_layer_end_index;
      end = pyEq(end, -1n) ? fields.n_layers - 1n : end;
      const interval = _integer("moe_layer_interval", inputs.moe_layer_interval);
      if (mod(i + 1n, interval) !== 0n) return false;
      const start = _integer("moe_layer_start_index", inputs.moe_layer_start_index, { zero: true });
      if (!isReal(end)) throw new TypeError("'<=' not supported");
      return start <= i && i <= num(end);
    },
    _latent(inputs, fields) {
      const q_rank = _integer("q_lora_rank", inputs.q_lora_rank, { none: true });
      if (fields.experts_per_token === null) {
        fail("num_experts_per_tok is null (transformers' default for this type): the router's top-k is needed for " +
             "the parameters a token passes through; give num_experts_per_tok");
      }
      return { q_lora_rank: or(q_rank, 0n), rotary_dim: fields.qk_rope_head_dim };
    },
    _floor_head_dim: (inputs, fields) => ({ head_dim: or(fields.head_dim, floorDiv(fields.d_model, fields.n_heads)) }),
    _olmoe(inputs, fields) {
      if (fields.head_dim !== null && fields.head_dim * fields.n_heads !== fields.d_model) {
        fail(`head_dim=${fields.head_dim} must be hidden_size / num_attention_heads: OLMoE's q/k norms are ` +
             "hidden_size wide, so transformers cannot run another head width");
      }
      return {};
    },
    _jamba(inputs, fields) {
      const n = fields.n_layers;
      const period = _integer("attn_layer_period", inputs.attn_layer_period);
      const offset = _integer("attn_layer_offset", inputs.attn_layer_offset, { zero: true });
      const e_period = _integer("expert_layer_period", inputs.expert_layer_period);
      const e_offset = _integer("expert_layer_offset", inputs.expert_layer_offset, { zero: true });
      const moe = fields.n_experts > 1n;
      const more = moe ? {} : { experts_per_token: 1n };
      return { ...more, layer_types: range(n).map((i) => (mod(i, period) === offset ? "full_attention" : "mamba")),
               ffn_types: range(n).map((i) => (moe && mod(i, e_period) === e_offset ? "moe" : "dense")) };
    },
    _nemotron_h(inputs) {
      let blocks = inputs.layers_block_type;
      if (blocks === null && inputs.hybrid_override_pattern !== null) {
        const pattern = inputs.hybrid_override_pattern;
        if (typeof pattern !== "string" || [...pattern].some((c) => !has(D.PATTERN_LETTERS, c))) {
          fail(`hybrid_override_pattern must be a string of M, E, * and -, got ${repr(pattern)}`);
        }
        blocks = [...pattern].map((c) => D.PATTERN_LETTERS[c]);
      }
      if (blocks === null) blocks = ["linear_attention", "moe", "full_attention", "mlp"];
      const kinds = _pattern("layers_block_type", blocks, isList(blocks) ? BigInt(blocks.length) : -1n, D.BLOCKS);
      return { n_layers: BigInt(kinds.length), layer_types: kinds.map((k) => k[0]), ffn_types: kinds.map((k) => k[1]),
               ssm_inner: _integer("mamba_num_heads", inputs.mamba_num_heads) *
                          _integer("mamba_head_dim", inputs.mamba_head_dim) };
    },
    _granite_hybrid(inputs, fields) {
      const n = fields.n_layers;
      const types = or(inputs.layer_types, times(n, "linear_attention"));
      const kinds = _pattern("layer_types", types, n, { linear_attention: "mamba", mamba: "mamba",
                                                        attention: "full_attention", full_attention: "full_attention" });
      const experts = _integer("num_local_experts", inputs.num_local_experts, { zero: true });
      const shared = _integer("shared_intermediate_size", inputs.shared_intermediate_size);
      const rope = inputs.position_embedding_type === "rope";
      if (experts) {
        return { layer_types: kinds, ffn_types: times(n, "moe"), n_experts: experts, d_shared: shared,
                 shared_expert: true, rotary_sets: big(rope) };
      }
      return { layer_types: kinds, ffn_types: times(n, "dense"), n_experts: 1n, experts_per_token: 1n, d_ff: shared,
               rotary_sets: big(rope) };
    },
    _linear_layers(i, inputs) {
      const interval = _integer("full_attention_interval", inputs.full_attention_interval);
      return mod(i + 1n, interval) === 0n ? "full_attention" : "linear_attention";
    },
    _lfm2(inputs, fields) {
      const n = fields.n_layers;
      let kinds;
      if (inputs.layer_types !== null) {
        kinds = _pattern("layer_types", inputs.layer_types, n, { full_attention: "full_attention", conv: "conv" });
      } else {
        const idxs = inputs.full_attn_idxs !== null ? _indices("full_attn_idxs", inputs.full_attn_idxs) : new Set(range(n));
        kinds = range(n).map((i) => (idxs.has(i) ? "full_attention" : "conv"));
      }
      let width = fields.d_ff;
      if (_flag("block_auto_adjust_ff_dim", inputs.block_auto_adjust_ff_dim)) {
        if (width === null) throw new TypeError("d_ff is None");
        width = truncInt(Number(2n * width) / 3);
        const multiplier = inputs.block_ffn_dim_multiplier;
        if (multiplier !== null) {
          const multiple = _integer("block_multiple_of", inputs.block_multiple_of);
          if (typeof multiplier === "string") {  // Python repeats the string, and int() refuses it
            const repeated = multiplier.repeat(Number(width));
            if (!/^\s*[+-]?\d+\s*$/.test(repeated)) fail(`invalid literal for int() with base 10: ${repr(repeated)}`);
            width = BigInt(repeated.trim());
          } else if (typeof multiplier === "boolean" || isInt(multiplier)) width = num(multiplier) * width;
          else if (multiplier instanceof PyFloat) width = truncInt(multiplier.value * Number(width));
          else throw new TypeError(`unsupported operand type(s) for *: '${typeName(multiplier)}' and 'int'`);
          width = multiple * floorDiv(width + multiple - 1n, multiple);
        }
      }
      return { layer_types: kinds, d_ff: width };
    },
    _opt(inputs) {
      const before = _flag("do_layer_norm_before", inputs.do_layer_norm_before);
      const removed = _flag("_remove_final_layer_norm", inputs._remove_final_layer_norm);
      const affine = _flag("layer_norm_elementwise_affine", inputs.layer_norm_elementwise_affine);
      return { final_norm: before && !removed, norm: affine ? "layernorm" : "none",
               n_positions: _integer("max_position_embeddings", inputs.max_position_embeddings) };
    },
  };

  // A derive function rebuilt from its description (families.derive_spec): [factory, arg, ...] or a name.
  function build(spec) {
    if (typeof spec === "string" && spec.startsWith("_")) {
      if (!(spec in NAMED)) throw new Error(`the calculator has no port of ${spec}`);
      return NAMED[spec];
    }
    if (isList(spec) && typeof spec[0] === "string" && spec[0] in FACTORIES) {
      return FACTORIES[spec[0]](...spec.slice(1).map(build));
    }
    return spec;
  }
  const DERIVE = {};
  for (const [name, entry] of Object.entries(D.MODEL_TYPES)) if (entry.derive !== null) DERIVE[name] = build(entry.derive);

  // --- everybyte.config.ModelConfig ---------------------------------------------------------------
  function _share(name, value) {
    if (typeof value === "boolean" || !isReal(value) || !(num(value) > 0 && num(value) <= 1)) {
      fail(`${name} must be a number with 0 < ${name} <= 1, got ${repr(value)}`);
    }
    return pyFloat(value);
  }

  class ModelConfig {
    constructor(given) {
      for (const name of Object.keys(given)) {
        if (!D.MODEL_CONFIG_FIELDS.includes(name)) throw new TypeError(`ModelConfig has no field ${name}`);
      }
      for (const name of D.MODEL_CONFIG_FIELDS) {
        this[name] = has(given, name) ? given[name] : D.MODEL_CONFIG_DEFAULTS[name];
      }
      this._post_init();
      Object.freeze(this);
    }

    replace(changes) {
      const fields = {};
      for (const name of D.MODEL_CONFIG_FIELDS) fields[name] = this[name];
      return new ModelConfig({ ...fields, ...changes });
    }

    _post_init() {
      for (const size of D.CONFIG_SIZES) this[size] = check.positive_int(size, this[size]);
      this.n_positions = check.non_negative_int("n_positions", this.n_positions);
      this.d_ff = this.d_ff === null ? 4n * this.d_model : check.positive_int("d_ff", this.d_ff);
      for (const flag of D.CONFIG_FLAGS) check.boolean(flag, this[flag]);
      for (const name of ["output_bias", "router"]) if (this[name] !== null) check.boolean(name, this[name]);
      if (this.head_dim === null) {
        if (this.d_model % this.n_heads) {
          fail(`n_heads must divide d_model: d_model=${this.d_model} is not a multiple of n_heads=${this.n_heads}`);
        }
      } else {
        this.head_dim = check.positive_int("head_dim", this.head_dim);
      }
      if (this.n_kv_heads !== null) {
        this.n_kv_heads = check.positive_int("n_kv_heads", this.n_kv_heads);
        if (this.n_heads % this.n_kv_heads) {
          fail(`n_kv_heads must divide n_heads: n_heads=${this.n_heads} is not a multiple of n_kv_heads=${this.n_kv_heads}`);
        }
      }
      if (this.experts_per_token > this.n_experts) {
        fail(`experts_per_token must be at most n_experts=${this.n_experts}, got ${this.experts_per_token}`);
      }
      if (typeof this.name !== "string") fail(`name must be a string, got ${repr(this.name)}`);
      for (const rate of D.CONFIG_RATES) this[rate] = pyFloat(check.fraction_in_unit_interval(rate, this[rate]));
      this.rotary_fraction = _share("rotary_fraction", this.rotary_fraction);
      if (typeof this.activation !== "string") fail(`activation must be a string, got ${repr(this.activation)}`);
      model_type_entry(this.model_type);
      this._check_zoo();
    }

    _check_zoo() {
      const family = this.family;
      check.choice("norm", this.norm, family.norms);
      for (const size of D.CONFIG_ZOO_SIZES) this[size] = check.non_negative_int(size, this[size]);
      this.ssm_groups = check.positive_int("ssm_groups", this.ssm_groups);
      for (const name of ["sliding_window", "attention_chunk", "embedding_dim", "d_expert", "rotary_dim", "moe_latent"]) {
        if (this[name] !== null) this[name] = check.positive_int(name, this[name]);
      }
      if (this.rotary_sets !== null) this.rotary_sets = check.non_negative_int("rotary_sets", this.rotary_sets);
      for (const flag of D.CONFIG_ZOO_FLAGS) check.boolean(flag, this[flag]);
      check.choice("qk_norm", this.qk_norm, D.QK_NORMS);
      if (!(pyEq(this.mamba_version, 1n) || pyEq(this.mamba_version, 2n))) {
        fail(`mamba_version must be 1 or 2, got ${repr(this.mamba_version)}`);
      }
      if (this.ssm_out_bias !== null) check.boolean("ssm_out_bias", this.ssm_out_bias);
      for (const [name, allowed] of [["layer_types", D.MIXERS], ["ffn_types", D.FEED_FORWARDS]]) {
        const value = this[name];
        if (value === null) continue;
        if (!isList(value)) fail(`${name} must be a list of ${allowed.join(", ")}, one per layer; got ${repr(value)}`);
        if (BigInt(value.length) !== this.n_layers) {
          fail(`${name} must name one kind per layer: ${value.length} kinds for n_layers=${this.n_layers}`);
        }
        for (const kind of value) check.choice(`each of ${name}`, kind, allowed);
      }
      for (const name of family.requires) {
        if (this[name] === null || pyEq(this[name], 0n)) {
          fail(`${name} must be a positive integer for ${this.model_type}'s layout, got ${repr(this[name])}`);
        }
      }
      if (typeof this.left_out !== "string") fail(`left_out must be a string, got ${repr(this.left_out)}`);
    }

    get family() { return family_of(this.model_type); }
    get kv_heads() { return this.n_kv_heads === null ? this.n_heads : this.n_kv_heads; }
    get head_width() { return this.head_dim === null ? this.d_model / this.n_heads : this.head_dim; }
    get has_output_bias() { return this.output_bias === null ? this.attention_bias : this.output_bias; }
    get has_router() { return this.router === null ? this.n_experts > 1n : this.router; }
    get rotary_set_count() { return this.rotary_sets === null ? switches_of(this.model_type).n_rot : this.rotary_sets; }
    get rotary_channels() {
      if (this.rotary_dim !== null) return this.rotary_dim;
      if (!this.rotary_set_count) return 0n;
      const fraction = this.rotary_fraction.value;
      if (this.head_width <= 2n ** 53n) return truncInt(Number(this.head_width) * fraction);
      let scaled = fraction, shift = 0n;  // the exact product, as Fraction(rotary_fraction) gives it
      while (!Number.isInteger(scaled)) { scaled *= 2; shift += 1n; }
      return (this.head_width * BigInt(scaled)) >> shift;
    }
    get standard_attention() {
      return this.kv_heads === this.n_heads && this.head_width * this.n_heads === this.d_model;
    }
    get mixers() { return this.layer_types !== null ? this.layer_types : times(this.n_layers, this.family.mixer); }
    get feed_forwards() { return this.ffn_types !== null ? this.ffn_types : times(this.n_layers, this.family.feed_forward); }

    layer_counts() {
      // without spelling out a list of n_layers kinds (n_layers may be huge)
      const count = (list, fallback, kind) => list !== null ? BigInt(list.filter((k) => k === kind).length)
        : (fallback === kind ? this.n_layers : 0n);
      const mixer = (kind) => count(this.layer_types, this.family.mixer, kind);
      const ffn = (kind) => count(this.ffn_types, this.family.feed_forward, kind);
      const parallel = mixer("full_attention+mamba");
      let full = mixer("full_attention");
      const sliding = mixer("sliding_attention"), chunked = mixer("chunked_attention");
      full += parallel;
      return { L_attn: full + sliding + chunked, L_full: full, L_slide: sliding, L_chunk: chunked,
               L_ssm: mixer("mamba") + parallel, L_lin: mixer("linear_attention"),
               L_conv: mixer("conv"), L_moe: ffn("moe"), L_ff: ffn("dense") };
    }

    values() {
      const norm = { layernorm: 2n, none: 0n }[this.norm];
      const v = {
        V: this.vocab_size, d_model: this.d_model, L: this.n_layers, h: this.n_heads, d_ff: this.d_ff,
        P: this.n_positions, h_kv: this.kv_heads, d_head: this.head_width, n_experts: this.n_experts,
        k_experts: this.experts_per_token, d_rot: this.rotary_channels,
        beta_qkv: big(this.attention_bias), beta_o: big(this.has_output_bias), beta_ff: big(this.mlp_bias),
        gamma: big(this.gated_mlp), nu: norm === undefined ? 1n : norm, rho: big(this.has_router),
        pi: big(this.n_positions > 0n), phi: big(this.final_norm), tau: big(!this.tied_embeddings),
        x_par: big(this.parallel_residual), x_kv1: big(this.kv_heads === 1n && 1n < this.n_heads),
        p_embd: big(this.embedding_dropout.value > 0), p_attn: big(this.attention_dropout.value > 0),
        p_resid: big(this.residual_dropout.value > 0),
        ...switches_of(this.model_type),
        ...this.layer_counts(),
        w_slide: or(this.sliding_window, 0n), w_chunk: or(this.attention_chunk, 0n),
        n_norm: this.norms_per_layer, x_nw: big(this.norm !== "none"), x_nb: big(this.norm === "layernorm"),
        x_qkh: big(this.qk_norm === "head"), x_qkf: big(this.qk_norm === "full"),
        x_qks: big(this.qk_norm === "each_head"), x_qkb: big(this.qk_norm_bias),
        beta_lm: big(this.lm_head_bias), x_embnorm: big(this.embedding_norm),
        d_emb: or(this.embedding_dim, this.d_model),
        x_proj: big(!(this.embedding_dim === null || this.embedding_dim === this.d_model)),
        n_actp: has(D.ACTIVATION_PARAMETERS, this.activation) ? D.ACTIVATION_PARAMETERS[this.activation] : 0n,
        d_expert: this.d_expert === null ? this.d_ff : this.d_expert, d_shared: this.d_shared,
        x_shexp: big(this.shared_expert), x_shgate: big(this.shared_expert_gate), beta_router: big(this.router_bias),
        beta_exp: big(this.expert_bias),
        r_q: this.q_lora_rank, r_kv: this.kv_lora_rank, d_nope: this.qk_nope_head_dim,
        d_rope: this.qk_rope_head_dim, d_v: this.v_head_dim, x_qc: big(this.q_lora_rank > 0n),
        d_inner: this.ssm_inner, d_state: this.ssm_state, h_ssm: this.ssm_heads, g_ssm: this.ssm_groups,
        r_dt: this.ssm_dt_rank, d_conv: this.conv_kernel, beta_conv: big(this.conv_bias),
        beta_ssm: big(this.ssm_proj_bias), x_ssmnorm: big(this.ssm_norm),
        beta_ssmo: big(this.ssm_out_bias === null ? this.ssm_proj_bias : this.ssm_out_bias),
        x_m2: big(pyEq(this.mamba_version, 2n)), x_dtn: big(this.ssm_time_step_norms),
        x_qgate: big(this.query_gate), x_acap: big(this.attention_softcap),
        x_lcap: big(this.logit_softcap), d_lat: or(this.moe_latent, this.d_model),
        x_lat: big(this.moe_latent !== null),
        h_lk: this.linear_key_heads, h_lv: this.linear_value_heads, d_lk: this.linear_key_dim,
        d_lv: this.linear_value_dim, V_ple: this.per_layer_vocab, d_ple: this.per_layer_dim,
        P_max: this.max_positions,
      };
      v.n_lscal += has(D.ACTIVATION_BUFFERS, this.activation) ? D.ACTIVATION_BUFFERS[this.activation] : 0n;
      v.n_rot = this.rotary_set_count;
      if (has(D.ACTIVATION_SAVED_TENSORS, this.activation)) v.n_act = D.ACTIVATION_SAVED_TENSORS[this.activation];
      return v;
    }

    layout_mismatch() {
      const entry = model_type_entry(this.model_type);
      const normalised = { output_bias: this.has_output_bias, router: this.has_router };
      for (const [name, fixed] of Object.entries(entry.fixed)) {
        if ((name === "n_kv_heads" || name === "head_dim") && fixed === null) continue;
        const value = has(normalised, name) ? normalised[name] : this[name];
        const wanted = name === "output_bias" && fixed === null ? this.attention_bias : fixed;
        if (!pyEq(value, wanted)) {
          return `${name}=${repr(value)}, where transformers' ${this.model_type} has ${name}=${repr(wanted)}`;
        }
      }
      if (has(entry.fixed, "n_kv_heads") && entry.fixed.n_kv_heads === null && !this.standard_attention) {
        return `grouped-query attention or head_dim, which transformers' ${this.model_type} does not have`;
      }
      if (has(entry.keys, "n_positions") && this.n_positions === 0n) {
        return `no learned positions, where transformers' ${this.model_type} has a position table`;
      }
      return null;
    }
  }

  // --- everybyte.hf ---------------------------------------------------------------------------
  function _nesting_depth(text) {
    let depth = 0, deepest = 0;
    for (const match of text.replace(/"(?:[^"\\]|\\[\s\S])*"/g, '""').matchAll(/[[\]{}]/g)) {
      if (match[0] === "[" || match[0] === "{") { depth += 1; deepest = Math.max(deepest, depth); } else depth -= 1;
    }
    return deepest;
  }

  function parse_config_text(text, origin) {
    if (typeof text !== "string") fail(`${origin} must be JSON text, got ${typeof text}`);
    if (text.length > Number(D.MAX_CONFIG_BYTES)) fail(`${origin} is larger than ${fmtInt(D.MAX_CONFIG_BYTES)} characters`);
    if (_nesting_depth(text) > Number(D.MAX_CONFIG_DEPTH)) fail(`${origin} is nested more than ${D.MAX_CONFIG_DEPTH} levels deep`);
    let data;
    try {
      data = root.pyjson.loads(text);
    } catch (error) {
      if (error instanceof root.pyjson.JSONDecodeError) fail(`${origin} is not valid JSON: ${error.msg} at line ${error.lineno}`);
      throw new ValueError(error.message);
    }
    if (!(data instanceof Map)) fail(`${origin} must hold a JSON object, got ${typeName(data)}`);
    return data;
  }

  // The checks of everybyte.hf._read_text that apply to a text in hand (size in bytes, UTF-8 is given).
  function read_text(text, path) {
    if (typeof text !== "string") fail(`config file ${path} must be JSON text, got ${typeof text}`);
    if (new TextEncoder().encode(text).length > Number(D.MAX_CONFIG_BYTES)) {
      fail(`config file ${path} is larger than ${fmtInt(D.MAX_CONFIG_BYTES)} bytes`);
    }
    return parse_config_text(text, `config file ${path}`);
  }

  const MISSING = Symbol("missing");
  function _lookup(data, dotted) {
    let node = data;
    const parts = dotted.split(".");
    for (let i = 0; i < parts.length; i++) {
      if (i && node === null) return MISSING;
      if (!(node instanceof Map)) fail(`${dotted.slice(0, dotted.lastIndexOf("."))} must be an object, got ${repr(node)}`);
      if (!node.has(parts[i])) return MISSING;
      node = node.get(parts[i]);
    }
    return node;
  }
  function _resolve(data, key) {
    const [names, fallback] = key;
    for (const dotted of names) {
      const value = _lookup(data, dotted);
      if (value !== MISSING) return [dotted, value];
    }
    return [names[0], fallback];
  }

  function _field(model_type, field_name, key, value) {
    const kind = D.FIELD_KINDS[field_name];
    const isBool = typeof value === "boolean";
    if (kind === "count" || kind === "count_or_none") {
      if (value === null && kind === "count_or_none") return null;
      if (isBool || !isInt(value) || value < 1n) fail(`${model_type} config: ${key} must be a positive integer, got ${repr(value)}`);
      return value;
    }
    if (kind === "present") {
      if (value === null) return false;
      if (isBool || !isReal(value) || !(num(value) > 0)) {
        fail(`${model_type} config: ${key} must be a positive number or null, got ${repr(value)}`);
      }
      return true;
    }
    if (kind === "size") {
      if (isBool || !isInt(value) || value < 0n) fail(`${model_type} config: ${key} must be a non-negative integer, got ${repr(value)}`);
      return value;
    }
    if (kind === "bool") {
      if (!isBool) fail(`${model_type} config: ${key} must be true or false, got ${repr(value)}`);
      return value;
    }
    if (kind === "str") {
      if (typeof value !== "string") fail(`${model_type} config: ${key} must be a string, got ${repr(value)}`);
      return value;
    }
    if (isBool || !isReal(value)) {
      const bounds = kind === "rate" ? "0 <= x < 1" : "0 < x <= 1";
      fail(`${model_type} config: ${key} must be a number with ${bounds}, got ${repr(value)}`);
    }
    const x = num(value);
    if (kind === "rate" && !(0 <= x && x < 1)) fail(`${model_type} config: ${key} must be a number with 0 <= x < 1, got ${repr(value)}`);
    if (kind === "fraction" && !(0 < x && x <= 1)) fail(`${model_type} config: ${key} must be a number with 0 < x <= 1, got ${repr(value)}`);
    return pyFloat(value);
  }

  function _language_model(data) {
    const model_type = data.get("model_type");
    const text = data.get("text_config");
    if ((typeof model_type === "string" && has(D.MODEL_TYPES, model_type)) || !(text instanceof Map)) return [data, ""];
    const inner = new Map(text);
    if (typeof inner.get("model_type") !== "string") {
      fail(`${model_type} config: its text_config has no model_type; it must be one of ${D.SUPPORTED_MODEL_TYPES.join(", ")}`);
    }
    if (!inner.has("tie_word_embeddings") && typeof data.get("tie_word_embeddings") === "boolean") {
      inner.set("tie_word_embeddings", data.get("tie_word_embeddings"));
    }
    const others = [...data.keys()].filter((key) => D.OTHER_PARTS.includes(key) ||
      (key.endsWith("_config") && key !== "text_config" && data.get(key) instanceof Map));
    const parts = others.length ? others.join(", ") : "the parts outside text_config";
    const note = `${model_type} is multimodal: only its language model (text_config, ${inner.get("model_type")}) is ` +
                 `counted; left out: ${parts} (and any projector between them)`;
    return [inner, note];
  }

  function from_hf_config(data, name = null) {
    if (!data.has("model_type")) fail(`config has no model_type; it must be one of ${D.SUPPORTED_MODEL_TYPES.join(", ")}`);
    const outer_name = data.has("_name_or_path") ? data.get("_name_or_path") : null;
    let left_out;
    [data, left_out] = _language_model(data);
    const model_type = data.get("model_type");
    if (typeof model_type !== "string") {
      fail(`model_type must be a string, one of ${D.SUPPORTED_MODEL_TYPES.join(", ")}; got ${repr(model_type === undefined ? null : model_type)}`);
    }
    const entry = model_type_entry(model_type);
    name = name !== null ? name : or(or(outer_name, data.has("_name_or_path") ? data.get("_name_or_path") : null), model_type);
    if (typeof name !== "string") fail(`name must be a string, got ${repr(name)}`);
    const fields = { ...entry.fixed };
    try {
      for (const [field_name, key] of Object.entries(entry.keys)) {
        const [found, value] = _resolve(data, key);
        fields[field_name] = _field(model_type, field_name, found, value);
      }
      if (entry.derive !== null) {
        const inputs = {}, present = [];
        for (const [input_name, key] of Object.entries(entry.inputs)) {
          const [found, value] = _resolve(data, key);
          inputs[input_name] = value;
          if (_lookup(data, found) !== MISSING) present.push(found);
        }
        let derived;
        try {
          derived = DERIVE[model_type](inputs, { ...fields });
        } catch (error) {
          if (error instanceof ValueError) throw error;
          present.sort();  // a value of the wrong kind, as the package says it
          fail(`${model_type} config: its layout cannot be read from ` +
               `${present.length ? present.join(", ") : "its defaults"} (a value of the wrong kind: ` +
               "numbers, lists and null as transformers has them)");
        }
        Object.assign(fields, derived);
      }
      if (left_out) fields.left_out = left_out;
      return new ModelConfig({ name, model_type, ...fields });
    } catch (error) {
      if (!(error instanceof ValueError)) throw error;
      const message = error.message;
      fail(message.startsWith(model_type) ? message : `${model_type} config: ${message}`);
    }
  }

  // --- everybyte.presets ------------------------------------------------------------------------
  const presetCache = {};
  function preset(name) {
    check.choice("preset", name, D.PRESET_NAMES);
    if (!(name in presetCache)) {
      presetCache[name] = name === D.ARTICLE_EXAMPLE.name ? new ModelConfig({ ...D.ARTICLE_EXAMPLE })
        : from_hf_config(root.pyjson.loads(D.PRESET_FILES[name]), name);
    }
    return presetCache[name];
  }

  // --- everybyte.options and everybyte.knobs: the setup's symbol values ----------------------------
  function dtype_bytes(dtype) {
    check.choice("dtype", dtype, D.COMPUTE_DTYPES);
    return D.DTYPE_BITS[dtype] / 8n;
  }

  function makeSetup({ dtype, attention, device, optimizer, gpu = D.COMPUTE_DEFAULTS.gpu }) {
    check.choice("dtype", dtype, D.COMPUTE_DTYPES);
    check.choice("attention", attention, D.ATTENTIONS);
    check.choice("device", device, D.DEVICES);
    check.choice("optimizer", optimizer, keys(D.OPTIMIZERS));
    const card = D.ACCELERATORS[gpu];
    if (!has(card.peak_flops, dtype)) {
      fail(`gpu ${gpu} has no ${dtype} peak in the table; it lists ${keys(card.peak_flops).join(", ")}`);
    }
    return { dtype, attention, device, optimizer, parallel: D.PARALLEL_DEFAULTS, compute: D.COMPUTE_DEFAULTS,
             serving: null, lora: null };
  }

  function parallel_values(p) {
    const inner = p.rank / (p.tp * p.cp);
    return {
      N_d: p.dp, t: p.tp, N_cp: p.cp, N_pp: p.pp, N_ep: p.ep, n_micro: p.microbatches, n_virtual: p.virtual,
      i_dp: inner % p.dp, i_pp: inner / p.dp,
      z_1: big(p.zero >= 1n), z_2: big(p.zero >= 2n), z_3: big(p.zero === 3n), x_reshard: big(p.reshard),
      b_gather: p.param_dtype === "fp32" ? 4n : 2n, x_sp: big(p.sp), r_full: big(p.recompute === "full"),
      r_sel: big(p.recompute === "selective"), x_gpipe: big(p.schedule === "gpipe"),
      x_interleaved: big(p.schedule === "interleaved"), x_offload: big(p.offload),
    };
  }

  function serving_values(s, dtypeBytes, seq = null) {
    const kv_bytes = has(D.KV_FLOAT_BYTES, s.kv_dtype) ? D.KV_FLOAT_BYTES[s.kv_dtype] : dtypeBytes;
    const max_len = s.max_cache_len !== null ? s.max_cache_len : or(seq, 1n);
    return { b_kv: kv_bytes, kv_bits: has(D.KV_QUANTIZED_BITS, s.kv_dtype) ? D.KV_QUANTIZED_BITS[s.kv_dtype] : 0n,
             g_kv: s.kv_group_size, R_kv: s.kv_residual, kv_kind: BigInt(D.CACHE_KINDS.indexOf(s.cache)), S_max: max_len,
             n_block: s.block_size,
             w_fmt: s.weights === "auto" ? 0n : BigInt(1 + keys(D.WEIGHT_FORMATS).indexOf(s.weights)) };
  }

  function lora_roles(lora, model_type) {
    check.choice("model_type", model_type, keys(D.LORA_MODULES));
    const family = D.MODEL_TYPES[model_type].family;
    const where = family === model_type ? `the ${model_type} family` : `${model_type} (the ${family} family)`;
    const modules = D.LORA_MODULES[model_type];
    const mamba = D.PEFT_MAMBA.includes(model_type);
    if (lora.targets.length === 1 && lora.targets[0] === "all-linear") {
      if (mamba) {
        fail(`targets: peft 0.21.2 refuses all-linear on ${model_type}: module 'out_proj' is incompatible with ` +
             "Mamba-based models (incompatible modules: out_proj, conv1d); name the modules instead " +
             `(${keys(modules).filter((m) => m !== "out_proj").join(", ")})`);
      }
      return D.ALL_LINEAR[model_type];
    }
    const missing = lora.targets.filter((t) => !has(modules, t));
    if (missing.length) {
      fail(`targets ${missing.join(", ")} match no module of ${where}; its linear layers are ` +
           `${keys(modules).join(", ")} (or all-linear)`);
    }
    if (mamba && lora.targets.includes("out_proj")) {
      fail(`targets: peft 0.21.2 refuses out_proj on ${model_type}: it is incompatible with Mamba-based models ` +
           "(incompatible modules: out_proj, conv1d)");
    }
    for (const [fused, parts] of Object.entries(D.PEFT_MOE_CONVERSION[model_type] || {})) {
      const named = parts.filter((p) => lora.targets.includes(p));
      if (named.length > 0 && named.length < parts.length) {
        fail(`targets: peft 0.21.2 cannot convert ${named.join(", ")} without also targeting ` +
             `${parts.filter((p) => !named.includes(p)).join(", ")} because they are fused into ${fused} ` +
             `(${model_type}'s 3-d expert tensor)`);
      }
    }
    const roles = [];
    for (const target of lora.targets) for (const r of modules[target]) if (!roles.includes(r)) roles.push(r);
    return roles;
  }

  function lora_values(lora, model_type = null) {
    const on = new Set(model_type !== null ? lora_roles(lora, model_type) : []);
    if (lora.dora && has(D.PEFT_MOE_CONVERSION, model_type) &&
        (on.has("l_experts") || on.has("l_experts_down") || on.has("l_router"))) {
      fail(`dora: peft 0.21.2 refuses DoRA on ${model_type}'s router and 3-d expert tensors, which it adapts as ` +
           "parameters (lora.ParamWrapper does not work with use_dora=True); target the attention projections instead");
    }
    const out = { r_lora: lora.rank };
    for (const role of D.LORA_ROLES) out[role] = big(on.has(role));
    return { ...out, x_dora: big(lora.dora), x_qlora: big(lora.quant === "nf4"), x_paged: big(lora.paged) };
  }

  function setup_values(setup) {
    const optimizer = D.OPTIMIZERS[setup.optimizer];
    const card = D.ACCELERATORS[setup.compute.gpu];
    const b = dtype_bytes(setup.dtype);
    return {
      x_auto: big(setup.dtype !== "fp32"), x_sdpa: big(setup.attention === "sdpa"), x_cuda: big(setup.device === "cuda"),
      b_res: 4n, b_soft: 4n, b_dtype: b, b_opt: optimizer.state_bytes, b_opt_tensor: optimizer.per_tensor_bytes,
      n_opt_tmp: optimizer.update_temporaries,
      F_peak: card.peak_flops[setup.dtype], W_bw: card.bandwidth_bytes_per_s, n_devices: setup.compute.devices,
      mfu_bp: BigInt(Math.round(setup.compute.mfu.value * 10000)), D_train: setup.compute.tokens,
      x_opt8: big(optimizer.blockwise_8bit),
      ...parallel_values(setup.parallel),
      ...serving_values(setup.serving || D.SERVING_DEFAULTS, b),
      ...lora_values(setup.lora || D.LORA_DEFAULTS),
    };
  }

  // --- everybyte.pipeline -----------------------------------------------------------------------
  const infos = (family) => T.TERMS[family];

  function activations_unavailable(config, setup) {
    const family = config.family;
    const entry = D.MODEL_TYPES[config.model_type];
    if (family.activations === null || entry.no_activations) {
      return `no activation accounting for ${config.model_type}: ${entry.no_activations || family.no_activations}`;
    }
    const unfollowed = ["embedding_dropout", "attention_dropout", "residual_dropout"].filter(
      (name) => config[name].value > 0 && !family.dropouts.includes(name));
    if (unfollowed.length) {
      const u = unfollowed[0];
      return `the ${family.activations} accounting follows no ${u.replace(/_/g, " ")} mask; ${config.model_type} has ` +
             `${u}=${repr(config[u])}`;
    }
    if (setup && !family.attentions.includes(setup.attention)) {
      return `transformers' ${config.model_type} has no ${setup.attention} attention; the accounting follows ` +
             `${family.attentions.join(", ")}`;
    }
    if (!family.partial_rotary && config.rotary_set_count && config.rotary_channels !== 0n &&
        config.rotary_channels !== config.head_width) {
      return `the ${family.activations} accounting follows rotary embeddings over whole heads; this config turns ` +
             `${config.rotary_channels} of ${config.head_width} channels`;
    }
    const mismatch = config.layout_mismatch();
    if (mismatch) return `no real code saves the activations of this config: it has ${mismatch}`;
    const allowed = family.activation_functions.length ? family.activation_functions : keys(D.ACTIVATION_SAVED_TENSORS);
    if (!allowed.includes(config.activation)) {
      return `activation must be one of ${allowed.join(", ")} for the activation accounting of ${config.model_type}; ` +
             `got ${repr(config.activation)}`;
    }
    return null;
  }

  function kv_cache_unavailable(config) {
    const family = config.family;
    return family.no_kv_cache ? `the KV cache of ${config.model_type} is not this formula: ${family.no_kv_cache}` : null;
  }

  function linears_unavailable(config) {
    const family = config.family.name;
    if (D.LINEAR_FAMILIES.includes(family)) return null;
    return `${config.model_type} is chapter 14's ${family} family, whose linear layers are not yet mapped for ` +
           `tensor or pipeline parallelism, the serving working memory and the GPTQ, AWQ, torchao and GGUF ` +
           `formats (mapped: the ${D.LINEAR_FAMILIES.join(", ")} layouts; LoRA and the bitsandbytes formats ` +
           `are mapped for every family)`;
  }

  function lora_unavailable(config) {
    if (has(D.LORA_MODULES, config.model_type)) return null;
    return `peft's module names of ${config.model_type} are not mapped (mapped: ${keys(D.LORA_MODULES).join(", ")})`;
  }

  function quantized_unavailable(config, fmt) {
    if (D.LINEAR_FAMILIES.includes(config.family.name)) return null;
    if (!D.CHECKED_FORMATS.includes(fmt)) {
      return `${fmt} is counted for the chapter 12 layouts only (${D.LINEAR_FAMILIES.join(", ")}); chapter 14's ` +
             `families have the bitsandbytes formats ${D.CHECKED_FORMATS.join(", ")}`;
    }
    if (D.LINEAR_ROUTERS.includes(config.model_type)) {
      return `${config.model_type}'s router is an nn.Linear module that bitsandbytes packs; the terms keep it in ` +
             "16 bits";
    }
    return null;
  }

  function _refuse_unmapped(config, setup, note) {
    if (setup.lora !== null && lora_unavailable(config)) {
      fail(`lora: not available for this model; ${lora_unavailable(config)}`);
    }
    for (const [name, fmt] of [["quant", setup.lora !== null && setup.lora.quant ? "nf4-dq" : null],
                               ["weights", setup.serving !== null ? setup.serving.weights : null]]) {
      const why = fmt !== null && fmt !== "auto" ? quantized_unavailable(config, fmt) : null;
      if (why) fail(`${name}: not available for this model; ${why}`);
    }
    const asked = ["tp", "pp", "ep"].filter((name) => setup.parallel[name] > 1n);
    if (asked.length) fail(`${asked[0]}: not available for this model; ${note}`);
  }

  const _linear_keys = (ks) => ks.filter((key) => D.LINEAR_PREFIXES.some((p) => key === p || key.startsWith(p + "/")));
  const _kv_keys = (ks) => ks.filter((key) => key === "kv_cache" || key.startsWith("kv_cache/"));
  const _cut = (values) => (values.x_qlora || 0n) === 0n ? D.QLORA_ONLY : [];
  function _withheld(family, seeds, cut = []) {
    const out = new Set(seeds);
    for (const [key, , , , , , refs] of infos(family)) {
      if (refs.some((r) => out.has(r) && !cut.some(([k, c]) => k === key && c === r))) out.add(key);
    }
    return out;
  }
  // The keys the linear map does not cover for config: LoRA's and the checked formats' are left out.
  function _linear_seeds(config, ks) {
    let seeds = _linear_keys(ks);
    if (lora_unavailable(config) === null) {
      seeds = seeds.filter((k) => !D.LORA_PREFIXES.some((p) => k === p || k.startsWith(p + "/")));
    }
    return seeds.filter((k) => !(k.startsWith("quantized_weights/") &&
                                 quantized_unavailable(config, k.slice("quantized_weights/".length)) === null));
  }

  function symbol_values(config, workload = null, setup = null) {
    const values = config.values();
    if (workload !== null) Object.assign(values, { B: workload.batch, S: workload.seq });
    if (setup !== null) {
      Object.assign(values, setup_values(setup));
      if (workload !== null && values.D_train === 0n) values.D_train = workload.batch * workload.seq;
      if (setup.lora !== null) Object.assign(values, lora_values(setup.lora, config.model_type));
      if (workload !== null) {
        Object.assign(values, serving_values(setup.serving || D.SERVING_DEFAULTS, values.b_dtype, workload.seq));
      }
      if (!("n_act" in values)) values.n_act = 1n;
    }
    return values;
  }

  class Estimate {
    constructor(config, workload, setup, numbers, info, activations_note, values, kv_cache_note, linears_note) {
      Object.assign(this, { config, workload, setup, bytes: numbers, info, activations_note, values,
                            kv_cache_note: kv_cache_note || null, linears_note: linears_note || null });
    }
    at(key) {
      if (!(key in this.bytes)) throw new TypeError(`KeyError: ${key}`);
      return this.bytes[key];
    }
    get(key) { return key in this.bytes ? this.bytes[key] : null; }
    under(prefix) {
      const out = [];
      for (const [k, v] of Object.entries(this.bytes)) if (k.startsWith(prefix + "/")) out.push([k, v]);
      return out;
    }
    label(key) { return this.info[key].label; }
  }

  function estimate(config, workload = null, setup = null) {
    const family = config.family.name;
    const info = {};
    for (const [key, label, unit, tags, section, needsRun, refs] of infos(family)) {
      info[key] = { key, label, unit, tags, section, needsRun, refs };
    }
    if (workload === null) {
      const values = symbol_values(config);
      return new Estimate(config, null, null, T.PARAMETERS[family](values), info, null, values);
    }
    let linear_note = linears_unavailable(config);
    if (linear_note) _refuse_unmapped(config, setup, linear_note);
    const serving = setup.serving || D.SERVING_DEFAULTS;
    if (has(D.KV_QUANTIZED_BITS, serving.kv_dtype) && (config.sliding_window || config.attention_chunk)) {
      const counts = config.layer_counts();
      if (counts.L_slide || counts.L_chunk) {
        fail(`kv_dtype: transformers' QuantizedCache supports only full-attention layers, and ` +
             `${counts.L_slide + counts.L_chunk} layers of ${config.model_type} attend to a window; use auto or ` +
             `${keys(D.KV_FLOAT_BYTES).join(", ")}`);
      }
    }
    const values = symbol_values(config, workload, setup);
    const note = activations_unavailable(config, setup);
    const all = (note === null ? T.ESTIMATE : T.ESTIMATE_WITHOUT_ACTIVATIONS)[family](values);
    const kv_note = kv_cache_unavailable(config);
    linear_note = linears_unavailable(config);
    let seeds = [];
    if (kv_note) seeds = seeds.concat(_kv_keys(keys(info)));
    if (linear_note) seeds = seeds.concat(_linear_seeds(config, keys(info)));
    const withheld = seeds.length ? _withheld(family, seeds, _cut(values)) : new Set();
    for (const k of D.KEPT) withheld.delete(k);
    const numbers = {};
    for (const key of keys(info)) if (key in all && !withheld.has(key)) numbers[key] = all[key];
    return new Estimate(config, workload, setup, numbers, info, note, values, kv_note, linear_note);
  }

  // --- everybyte.cli: arguments, the model source, and the --json objects -----------------------
  const PROG = "everybyte";

  // argparse's type=_integer(name): the text of an argument, parsed as the command line parses it.
  function cliInteger(command, flag, name, value) {
    const text = String(value);
    const stripped = text.trim();
    const unsigned = stripped.replace(/^[+-]+/, "");
    if (stripped.length > Number(D.MAX_DIGITS) || !/^[0-9]+$/.test(unsigned)) {
      fail(`${PROG} ${command}: argument ${flag}: ${name} must be a positive integer, got ${repr(text.slice(0, 40))}`);
    }
    if (/^[+-][+-]/.test(stripped)) fail(`${PROG} ${command}: argument ${flag}: invalid parse value: ${repr(text)}`);
    const parsed = BigInt(stripped.replace(/^\+/, ""));
    if (parsed < 1n) fail(`${PROG} ${command}: argument ${flag}: ${name} must be a positive integer, got ${repr(text)}`);
    return parsed;
  }

  function fileName(path) {
    const parts = path.split("/").filter((p) => p !== "");
    const base = parts.length ? parts[parts.length - 1] : "";
    const dot = base.lastIndexOf(".");
    const stem = dot > 0 ? base.slice(0, dot) : base;
    if (stem === "config") return parts.length > 1 ? parts[parts.length - 2] : null;
    return stem || null;
  }

  // The model of a call: a preset name, or the text of a config.json (named after `path`, as the CLI names a file).
  function source(text, opts) {
    opts = typeof opts === "string" ? { name: opts } : (opts || {});
    let config;
    if (typeof text === "string" && D.PRESET_NAMES.includes(text)) {
      config = preset(text);
    } else {
      const path = opts.path || "config.json";
      const data = read_text(text, path);
      const name = opts.name !== undefined ? opts.name : (opts.path ? fileName(opts.path) : null);
      config = from_hf_config(data, name);
    }
    if (opts.untied && config.tied_embeddings) config = config.replace({ tied_embeddings: false, name: `${config.name}, untied` });
    return config;
  }

  function guard(fn) {
    try {
      return fn();
    } catch (error) {
      if (error instanceof ValueError) throw new Error(error.message);
      if (error instanceof RangeError) throw new Error("the input is too large to evaluate");
      throw new Error(`everybyte could not compute this (${error.name}: ${error.message}); this is a bug`);
    }
  }

  const under = (est, prefix, keep = () => true) => {
    const out = {};
    for (const [k, v] of est.under(prefix)) if (keep(k)) out[k.split("/")[1]] = v;
    return out;
  };

  function params(text, opts) {
    return guard(() => {
      const cfg = source(text, opts);
      const est = estimate(cfg);
      const breakdown = {};
      for (const [k, n] of est.under("parameters")) if (n) breakdown[k.slice("parameters/".length)] = n;
      const out = { model: cfg.name, model_type: cfg.model_type, total: est.at("parameters"),
                    active: est.at("parameters_active"), breakdown };
      if (cfg.left_out) out.left_out = cfg.left_out;
      return out;
    });
  }

  // argparse, as the command line builds it (everybyte_data.js holds each command's options, from its parser).
  function cliFraction(command, flag, name, text) {
    const stripped = text.trim();
    const numeric = /^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/;
    let value;
    if (numeric.test(stripped)) value = Number(stripped.replace(/_/g, ""));
    else if (/^[+-]?(?:inf|infinity)$/i.test(stripped)) value = stripped.startsWith("-") ? -Infinity : Infinity;
    else if (/^[+-]?nan$/i.test(stripped)) value = NaN;
    else fail(`${PROG} ${command}: argument ${flag}: ${name} must be a number like 0.4, got ${repr(text.slice(0, 40))}`);
    if (!(0 < value && value <= 1)) {
      fail(`${PROG} ${command}: argument ${flag}: ${name} must be a fraction with 0 < ${name} <= 1 (0.4 is 40 %), got ${repr(text)}`);
    }
    return new PyFloat(value);
  }

  function parse_size(text, name = "size") {
    if (typeof text !== "string") fail(`${name} must be text like 80GiB or 24GB, got ${typeName(text)}`);
    const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$/.exec(text);
    if (!m || !(m[2] === "" || has(D.UNITS, m[2]))) {
      fail(`${name} must be a number and a unit (${keys(D.UNITS).join(", ")}), like 80GiB or 24GB; got ${repr(text)}`);
    }
    const [whole, fraction = ""] = m[1].split(".");
    const value = (BigInt(whole + fraction) * D.UNITS[m[2] || "B"]) / 10n ** BigInt(fraction.length);
    if (BigInt(whole + fraction) === 0n) fail(`${name} must be more than 0 bytes, got ${repr(text)}`);
    return value;
  }

  function parseArguments(command, options) {
    const spec = D.COMMANDS[command];
    const args = {};
    for (const [dest, , fallback] of spec) args[dest] = fallback;
    for (const [key, value] of Object.entries(options)) {
      const row = spec.find((r) => r[0] === key);
      if (!row || value === undefined || value === null) continue;
      const [dest, flag, , , kind, name] = row;
      const text = String(value);
      const where = `${PROG} ${command}: argument ${flag}: `;
      if (kind === "int") args[dest] = cliInteger(command, flag, name, text);
      else if (kind === "fraction") args[dest] = cliFraction(command, flag, name, text);
      else if (kind === "zero") {
        if (!["0", "1", "2", "3"].includes(text.trim())) fail(`${where}zero must be one of 0, 1, 2, 3; got ${repr(text.slice(0, 40))}`);
        args[dest] = BigInt(text.trim());
      } else if (kind === "size") {
        try { args[dest] = parse_size(text, "gpu-memory"); } catch (e) { fail(where + e.message); }
      } else if (kind === "true") { if (value === true) args[dest] = true; }
      else if (kind === "false") { if (value === false) args[dest] = false; }
      else args[dest] = text;
    }
    const missing = spec.filter(([dest, , , required]) => required && (options[dest] === undefined || options[dest] === null));
    if (missing.length) fail(`${PROG} ${command}: the following arguments are required: ${missing.map((r) => r[1]).join(", ")}`);
    return args;
  }

  function why_missing(est, key) {
    if (key in est.bytes) return null;
    if (!(key in est.info)) return est.activations_note;
    const family = est.config.family.name;
    for (const [note, seed] of [[est.kv_cache_note, _kv_keys(keys(est.info))],
                                [est.linears_note, _linear_seeds(est.config, keys(est.info))]]) {
      if (note) {
        const withheld = _withheld(family, seed, _cut(est.values));
        for (const k of D.KEPT) withheld.delete(k);
        if (withheld.has(key)) return note;
      }
    }
    return est.activations_note;
  }

  const setupOf = (args, extra = {}) => {
    const d = D.SETUP_DEFAULTS;
    return { ...makeSetup({ dtype: args.dtype ?? d.dtype, attention: args.attention ?? d.attention,
                            device: args.device ?? d.device, optimizer: args.optimizer ?? d.optimizer,
                            gpu: (extra.compute || D.COMPUTE_DEFAULTS).gpu }), ...extra };
  };
  const setupFields = (setup) => ({ dtype: setup.dtype, attention: setup.attention, device: setup.device,
                                    optimizer: setup.optimizer });

  function memoryCommand(cfg, args) {
    const setup = setupOf(args);
    const est = estimate(cfg, { batch: args.batch, seq: args.seq }, setup);
    const moments = under(est, "training_peak");
    const out = {
      model: cfg.name, model_type: cfg.model_type, batch: args.batch, seq: args.seq, ...setupFields(setup),
      parameters: est.at("parameters"), weights: est.at("weights"), weights_by_dtype: under(est, "weights_by_dtype"),
      kv_cache: est.get("kv_cache"), kv_cache_note: est.kv_cache_note,
      training_state: under(est, "training", (k) => est.info[k].tags.includes("state")),
      activations: est.get("activations"), training_peak: est.get("training_peak"),
      training_peak_moments: keys(moments).length ? moments : null, note: est.activations_note,
    };
    if (args.article) out.article = under(est, "article");
    return out;
  }

  // everybyte.knobs.Serving
  function makeServing(s) {
    check.choice("weights", s.weights, ["auto", ...keys(D.WEIGHT_FORMATS)]);
    check.choice("kv_dtype", s.kv_dtype, D.KV_DTYPES);
    check.positive_int("kv_group_size", s.kv_group_size);
    check.positive_int("kv_residual", s.kv_residual);
    check.choice("cache", s.cache, D.CACHE_KINDS);
    if (s.max_cache_len !== null) check.positive_int("max_cache_len", s.max_cache_len);
    check.positive_int("block_size", s.block_size);
    if (has(D.KV_QUANTIZED_BITS, s.kv_dtype) && s.cache !== "dynamic") {
      fail(`kv_dtype ${s.kv_dtype} is transformers' QuantizedCache, which grows like the dynamic cache; it cannot be ` +
           `combined with cache=${repr(s.cache)}`);
    }
    return s;
  }

  function serveEstimate(cfg, setup, batch, context) {
    const serving = setup.serving;
    if ((serving.kv_dtype === "int4" || serving.kv_dtype === "int2") &&
        (cfg.kv_heads * context * cfg.head_width) % serving.kv_group_size) {
      fail(`kv_group_size must divide h_kv * S * d_head = ${fmtInt(cfg.kv_heads * context * cfg.head_width)} ` +
           `(QuantizedCache groups each sequence's keys); got ${serving.kv_group_size}`);
    }
    if (serving.cache === "static" && serving.max_cache_len !== null && serving.max_cache_len < context) {
      fail(`max_cache_len must be at least the context (${fmtInt(context)}); got ${fmtInt(serving.max_cache_len)}`);
    }
    return estimate(cfg, { batch, seq: context }, setup);
  }

  function largest(fits, start) {
    if (!fits(1n)) return 0n;
    let low = 1n, high = start > 2n ? start : 2n;
    while (fits(high)) {
      low = high; high = 2n * high;
      if (high > 2n ** 80n) return low;
    }
    while (high - low > 1n) {
      const middle = (low + high) / 2n;
      if (fits(middle)) low = middle; else high = middle;
    }
    return low;
  }

  function serveCommand(cfg, args) {
    const serving = makeServing({ weights: args.weights, kv_dtype: args.kv_dtype, kv_group_size: args.kv_group_size,
                                  kv_residual: args.kv_residual, cache: args.cache, max_cache_len: args.max_cache_len,
                                  block_size: args.block_size });
    const setup = setupOf({ dtype: args.dtype, attention: args.attention }, { serving });
    const est = serveEstimate(cfg, setup, args.batch, args.context);
    const out = { model: cfg.name, model_type: cfg.model_type, batch: args.batch, context: args.context,
                  dtype: args.dtype, attention: args.attention, weights_format: args.weights, kv_dtype: args.kv_dtype,
                  cache: args.cache, weights: est.at("serving/weights"), kv_cache: est.get("kv_cache"),
                  kv_cache_per_token: est.get("kv_cache/per_token"), activations: est.get("serving/working_memory"),
                  total: est.get("serving/peak") };
    const missing = [["KV cache", "kv_cache"], ["working memory", "serving/working_memory"]]
      .filter(([, key]) => !(key in est.bytes)).map(([what, key]) => [what, why_missing(est, key)]);
    if (missing.length) out.note = missing.map(([what, why]) => `${what}: not available (${why})`).join("; ");
    if (args.gpu_memory !== null) {
      const capacity = parse_size(args.gpu_memory, "gpu-memory");
      if (out.total === null) {
        fail(`gpu-memory: the serving peak of ${cfg.name} is not available, so no fit is computed; ${missing[missing.length - 1][1]}`);
      }
      const fits = (batch, context) => {
        try {
          return serveEstimate(cfg, setup, batch, context).at("serving/peak") <= capacity;
        } catch (error) {
          if (error instanceof ValueError) return false;
          throw error;
        }
      };
      out.gpu_memory = capacity;
      out.max_batch = largest((b) => fits(b, args.context), args.batch);
      out.max_context = largest((c) => fits(args.batch, c), args.context);
    }
    return out;
  }

  // everybyte.knobs.LoRA
  function makeLoRA({ rank, targets, dora, quant, paged }) {
    check.positive_int("rank", rank);
    const given = targets;
    if (typeof targets === "string") targets = targets.split(",").map((t) => t.trim());
    if (!isList(targets) || !targets.length || !targets.every((t) => typeof t === "string" && t)) {
      fail(`targets must be module names like q_proj,v_proj or all-linear; got ${repr(given)}`);
    }
    const known = [...new Set([...Object.values(D.LORA_MODULES).flatMap((m) => keys(m)), "all-linear"])].sort();
    for (const target of targets) check.choice("targets", target, known);
    if (targets.includes("all-linear") && targets.length > 1) fail("targets: all-linear stands alone; got " + targets.join(","));
    check.boolean("dora", dora);
    if (quant !== null) check.choice("quant", quant, ["nf4"]);
    check.boolean("paged", paged);
    return { rank, targets, dora, quant, paged };
  }

  function finetuneCommand(cfg, args) {
    const lora = makeLoRA({ rank: args.lora_rank, targets: args.lora_targets, dora: args.dora, quant: args.quant,
                            paged: args.paged });
    const setup = setupOf({ dtype: args.dtype, attention: args.attention, optimizer: args.optimizer }, { lora });
    const est = estimate(cfg, { batch: args.batch, seq: args.seq }, setup);
    return { model: cfg.name, model_type: cfg.model_type, lora_rank: args.lora_rank, lora_targets: lora.targets.slice(),
             dora: args.dora, quant: args.quant, batch: args.batch, seq: args.seq, dtype: args.dtype,
             trainable_parameters: est.at("lora/trainable_parameters"),
             all_parameters: est.at("parameters") + est.at("lora/trainable_parameters"),
             base_weights: est.at("finetuning/base_weights"), adapter_weights: est.at("finetuning/adapter_weights"),
             adapter_gradients: est.at("finetuning/adapter_gradients"),
             optimizer_states: est.at("finetuning/optimizer_states"),
             paged_optimizer_states: est.at("finetuning/paged_optimizer_states"),
             activations: est.get("finetuning/activations"), peak: est.get("finetuning/step_peak"),
             note: est.activations_note,
             // chapter 17 follows these families' LoRA step tensor by tensor; elsewhere an upper bound
             activations_upper_bound: est.get("finetuning/step_peak") !== null &&
               !D.LORA_STEP_FAMILIES.includes(cfg.family.name) };
  }

  // everybyte.options.Parallelism and everybyte.ranks
  const PARALLEL_FIELDS = keys(D.PARALLEL_DEFAULTS);
  function makeParallel(p) {
    for (const name of ["dp", "tp", "cp", "pp", "virtual", "ep", "microbatches"]) check.positive_int(name, p[name]);
    check.non_negative_int("zero", p.zero);
    if (p.zero > 3n) fail(`zero must be one of 0, 1, 2, 3 (the ZeRO stage); got ${p.zero}`);
    for (const name of ["sp", "offload", "reshard"]) check.boolean(name, p[name]);
    check.choice("recompute", p.recompute, D.RECOMPUTE);
    check.choice("schedule", p.schedule, D.SCHEDULES);
    check.choice("param_dtype", p.param_dtype, D.PARAM_DTYPES);
    if (p.virtual > 1n && p.schedule !== "interleaved") fail(`virtual must be 1 unless schedule is 'interleaved'; got virtual=${p.virtual}`);
    if (p.dp % p.ep) fail(`ep must divide dp (experts are sharded over data-parallel devices); got ep=${p.ep}, dp=${p.dp}`);
    check.non_negative_int("rank", p.rank);
    const world = p.dp * p.tp * p.cp * p.pp;
    if (p.rank >= world) fail(`rank must be below the number of devices dp*tp*cp*pp=${world}; got ${p.rank}`);
    return { ...p, world };
  }

  function layout_problem(config, workload, p) {
    const { tp, pp } = p;
    if (tp > 1n) {
      for (const [name, size] of [["n_heads", config.n_heads], ["n_kv_heads", config.kv_heads], ["d_ff", config.d_ff]]) {
        if (size % tp) return `tp must divide ${name}=${size} (tensor parallelism splits whole heads and columns); got tp=${tp}`;
      }
    }
    const chunks = pp * p.virtual;
    if (config.n_layers % chunks) {
      return `${p.virtual === 1n ? "pp" : "pp * virtual"}=${chunks} must divide n_layers=${config.n_layers} (every stage holds as many layers)`;
    }
    if (p.schedule === "interleaved" && (pp === 1n || p.microbatches % pp)) {
      return `the interleaved schedule needs pp > 1 and microbatches a multiple of pp; got pp=${pp}, microbatches=${p.microbatches}`;
    }
    if (p.ep > 1n && config.n_experts % p.ep) return `ep must divide n_experts=${config.n_experts}; got ep=${p.ep}`;
    if (workload.seq % p.cp) return `cp must divide seq=${workload.seq}; got cp=${p.cp}`;
    return null;
  }

  function device_estimates(config, workload, setup) {
    const p = setup.parallel;
    const problem = layout_problem(config, workload, p);
    if (problem) fail(problem);
    const byPosition = new Map();
    const out = [];
    for (let rank = 0n; rank < p.world; rank++) {
      const inner = rank / (p.tp * p.cp);
      const [i_dp, i_pp] = [inner % p.dp, inner / p.dp];
      const position = `${i_dp},${i_pp}`;
      if (!byPosition.has(position)) {
        byPosition.set(position, estimate(config, workload, { ...setup, parallel: makeParallel({ ...p, rank }) }));
      }
      out.push({ rank, data_parallel_rank: i_dp, stage: i_pp, estimate: byPosition.get(position) });
      if (out.length > 2 ** 20) throw new RangeError("too many devices");
    }
    return out;
  }
  const reported = (d) => Object.fromEntries(Object.entries(D.REPORTED).map(([name, key]) => [name, d.estimate.at(key)]));
  const maxPeak = (devices) => devices.map((d) => d.estimate.at("parallel/peak")).reduce((a, b) => (b > a ? b : a));

  function largest_batch(config, workload, setup, memory, limit = 2n ** 40n) {
    check.positive_int("memory", memory);
    const fits = (batch) => maxPeak(device_estimates(config, { batch, seq: workload.seq }, setup)) <= memory;
    if (!fits(1n)) return 0n;
    let low = 1n, high = 2n;
    while (high <= limit && fits(high)) { low = high; high = 2n * high; }
    if (high > limit) return low;
    while (high - low > 1n) {
      const middle = (low + high) / 2n;
      if (fits(middle)) low = middle; else high = middle;
    }
    return low;
  }

  function trainCommand(cfg, args) {
    const workload = { batch: args.batch, seq: args.seq };
    let setup = setupOf(args);
    const fields = {};
    for (const name of PARALLEL_FIELDS) fields[name] = name in args ? args[name] : D.PARALLEL_DEFAULTS[name];
    const parallel = makeParallel(fields);
    setup = { ...setup, parallel };
    const probe = estimate(cfg, workload, setup);
    if (probe.activations_note !== null) fail(probe.activations_note);
    const devices = device_estimates(cfg, workload, setup);
    const peak = maxPeak(devices);
    const ranks = devices.map((d) => ({ rank: d.rank, data_parallel_rank: d.data_parallel_rank, stage: d.stage,
                                        ...reported(d),
                                        offloaded_optimizer_states: d.estimate.at("parallel/offloaded_optimizer_states") }));
    const layout = {};
    for (const name of PARALLEL_FIELDS) if (name !== "rank") layout[name] = parallel[name];
    const out = { model: cfg.name, model_type: cfg.model_type, batch: workload.batch, seq: workload.seq,
                  ...setupFields(setup), parallel: layout, devices: parallel.world, parameters_total: probe.at("parameters"),
                  peak, ranks };
    if (args.gpu_memory !== null) {
      Object.assign(out, { gpu_memory: args.gpu_memory, fits: peak <= args.gpu_memory,
                           largest_microbatch: largest_batch(cfg, workload, setup, args.gpu_memory) });
    }
    return out;
  }

  // everybyte.options.Compute
  function roundHalfEven(x) {
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  }
  function timeCommand(cfg, args) {
    if (!has(D.ACCELERATORS, args.gpu)) fail(`gpu must be one of ${keys(D.ACCELERATORS).join(", ")}; got ${repr(args.gpu)}`);
    check.positive_int("devices", args.devices);
    const tokens = check.non_negative_int("tokens", or(args.tokens, 0n));
    const mfu = args.mfu;
    if (!(mfu.value > 0 && mfu.value <= 1)) fail(`mfu must be a fraction with 0 < mfu <= 1 (0.4 is 40 %), got ${repr(mfu)}`);
    if (Math.abs(mfu.value * 10000 - roundHalfEven(mfu.value * 10000)) > 1e-9) {
      fail(`mfu must have at most four decimals (basis points), got ${repr(mfu)}`);
    }
    const compute = { gpu: args.gpu, devices: args.devices, mfu: new PyFloat(mfu.value), tokens };
    const setup = setupOf({ dtype: args.dtype, attention: args.attention, device: "cuda" }, { compute });
    const est = estimate(cfg, { batch: args.batch, seq: args.seq }, setup);
    const out = { model: cfg.name, model_type: cfg.model_type, batch: args.batch, seq: args.seq, dtype: args.dtype,
                  gpu: args.gpu, devices: args.devices, mfu: args.mfu, tokens: est.values.D_train,
                  parameters: est.at("parameters"), parameters_active: est.at("parameters_active") };
    for (const [k, v] of est.under("compute")) out[k.slice("compute/".length)] = v;
    return out;
  }

  const RUN = { memory: memoryCommand, serve: serveCommand, finetune: finetuneCommand, train: trainCommand,
                time: timeCommand };
  const COMMANDS = keys(RUN);

  function estimateApi(text, options = {}) {
    return guard(() => {
      const command = options.command === undefined ? "memory" : options.command;
      if (!COMMANDS.includes(command)) fail(`command must be one of ${COMMANDS.join(", ")}; got ${repr(command)}`);
      const args = parseArguments(command, options);
      const cfg = source(text, { ...options, untied: args.untied });
      return RUN[command](cfg, args);
    });
  }

  // What the page needs besides the command line's objects: the config as read, and its family's terms
  // ([key, label, unit, tags, section, needs a run, refs], from everybyte_terms.js) by key.
  function terms(text, options = {}) {
    return guard(() => {
      const cfg = source(text, options);
      const info = {};
      for (const t of infos(cfg.family.name)) info[t[0]] = { key: t[0], label: t[1], unit: t[2], tags: t[3] };
      return { config: cfg, family: cfg.family.name, info, linears_note: linears_unavailable(cfg) };
    });
  }

  root.everybyte = { params, estimate: estimateApi, terms, commands: COMMANDS.slice(), presets: D.PRESET_NAMES.slice(),
                     accelerators: D.ACCELERATORS };
})(typeof window !== "undefined" ? window : globalThis);
