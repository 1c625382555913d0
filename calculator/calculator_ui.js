// The calculator page's form: reads the inputs, calls window.everybyte and draws the result.
// No numbers are computed here beyond adding up the terms the estimate returns for the bar.
(function () {
  "use strict";
  const eb = window.everybyte;
  const D = window.everybyteData;
  const $ = (id) => document.getElementById(id);
  const PASTED = "(pasted config)";
  const CUSTOM = "custom";
  const COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                  "#9c755f", "#bab0ac"];

  const fmtInt = (n) => n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  // A BigInt of bytes in units of `unit` (a BigInt), with two decimals, exactly rounded down.
  const inUnits = (n, unit) => {
    const hundredths = (n * 100n) / unit;
    return `${fmtInt(hundredths / 100n)}.${(hundredths % 100n).toString().padStart(2, "0")}`;
  };
  const bytesText = (n) => `${fmtInt(n)} bytes (${inUnits(n, 10n ** 9n)} GB decimal, ${inUnits(n, 2n ** 30n)} GiB binary)`;

  function fill(select, values, labels = values) {
    select.replaceChildren(...values.map((v, i) => new Option(labels[i], v)));
  }

  // Custom GiB: a decimal like 24 or 79.5, to exact bytes (rounded down).
  function gibBytes(text) {
    const m = /^\s*(\d{1,9})(?:\.(\d{1,9}))?\s*$/.exec(text);
    if (!m) throw new Error(`custom memory must be a number of GiB like 24 or 79.5, got ${JSON.stringify(text)}`);
    const frac = (m[2] || "").padEnd(9, "0");
    const value = (BigInt(m[1]) * 10n ** 9n + BigInt(frac)) * 2n ** 30n / 10n ** 9n;
    if (value <= 0n) throw new Error("custom memory must be more than 0 GiB");
    return value;
  }

  function card() {
    const name = $("eb-card").value;
    if (name === CUSTOM) return { name, label: `${$("eb-gib").value.trim()} GiB (custom)`, bytes: gibBytes($("eb-gib").value) };
    const a = D.ACCELERATORS[name];
    return { name, label: a.label, bytes: a.memory_bytes };
  }

  function bar(title, parts, total, capacity) {
    // One stacked bar: parts [{key, label, bytes}], scaled to max(total, capacity).
    const width = 640, height = 28;
    const scale = total > capacity ? total : capacity;
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", `0 0 ${width} ${height + 16}`);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", `${title}: ${parts.map((p) => `${p.label} ${fmtInt(p.bytes)} bytes`).join("; ")}`);
    let x = 0;
    parts.forEach((p, i) => {
      const w = scale > 0n ? Number((p.bytes * 100000n) / scale) / 100000 * width : 0;
      const rect = document.createElementNS(svg.namespaceURI, "rect");
      Object.entries({ x, y: 0, width: Math.max(w, 0), height, fill: COLORS[i % COLORS.length] })
        .forEach(([k, v]) => rect.setAttribute(k, v));
      rect.setAttribute("data-key", p.key);
      const tip = document.createElementNS(svg.namespaceURI, "title");
      tip.textContent = `${p.label}: ${bytesText(p.bytes)}`;
      rect.appendChild(tip);
      svg.appendChild(rect);
      x += w;
    });
    const cap = Number((capacity * 100000n) / scale) / 100000 * width;
    const line = document.createElementNS(svg.namespaceURI, "line");
    Object.entries({ x1: cap, x2: cap, y1: 0, y2: height + 6, stroke: "#000", "stroke-width": 2, "stroke-dasharray": "4 2" })
      .forEach(([k, v]) => line.setAttribute(k, v));
    svg.appendChild(line);
    const text = document.createElementNS(svg.namespaceURI, "text");
    Object.entries({ x: cap < width / 2 ? cap + 3 : cap - 3, y: height + 15, "text-anchor": cap < width / 2 ? "start" : "end", "font-size": 11 })
      .forEach(([k, v]) => text.setAttribute(k, v));
    text.textContent = "card memory";
    svg.appendChild(text);
    const figure = document.createElement("figure");
    const caption = document.createElement("figcaption");
    caption.textContent = title;
    figure.append(caption, svg);
    return figure;
  }

  function legendItems(parts, offset = 0) {
    return parts.map((p, i) => {
      const li = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "eb-swatch";
      swatch.style.background = COLORS[(i + offset) % COLORS.length];
      li.append(swatch, `${p.label}: ${bytesText(p.bytes)}`);
      return li;
    });
  }

  const sum = (parts) => parts.reduce((a, p) => a + p.bytes, 0n);
  const part = (info, key, bytes, label) => ({ key, label: label || info[key].label, bytes });
  const note = (text) => { const li = document.createElement("li"); li.textContent = text; $("eb-notes").appendChild(li); };

  function options(command, target) {
    const chosen = $("eb-preset").value;
    const out = { command, batch: $("eb-batch").value, seq: $("eb-seq").value };
    if (command === "memory" || command === "train") {
      Object.assign(out, { dtype: $("eb-dtype").value, attention: $("eb-attention").value, device: $("eb-device").value,
                           optimizer: $("eb-optimizer").value });
    }
    if (command === "train") {
      Object.assign(out, { dp: $("eb-dp").value, zero: $("eb-zero").value, tp: $("eb-tp").value, pp: $("eb-pp").value,
                           recompute: $("eb-recompute").value, gpu_memory: target.bytes.toString() });
    }
    if (command === "serve") {
      delete out.seq;
      Object.assign(out, { context: $("eb-seq").value, dtype: $("eb-serve-dtype").value, weights: $("eb-weights").value,
                           kv_dtype: $("eb-kv-dtype").value, cache: $("eb-cache").value,
                           gpu_memory: target.bytes.toString() });
    }
    if (command === "finetune") {
      Object.assign(out, { dtype: $("eb-dtype").value, attention: $("eb-attention").value,
                           optimizer: $("eb-optimizer").value, lora_rank: $("eb-lora-rank").value,
                           lora_targets: $("eb-lora-targets").value, quant: $("eb-qlora").checked ? "nf4" : null,
                           dora: $("eb-dora").checked });
    }
    if (command === "time") {
      if (target.name === CUSTOM) throw new Error("time: pick a card from the list (its peak FLOP/s and bandwidth)");
      Object.assign(out, { dtype: $("eb-dtype").value, attention: $("eb-attention").value, gpu: target.name,
                       mfu: $("eb-mfu").value, tokens: $("eb-tokens").value.trim() || null });
    }
    return [chosen === PASTED ? $("eb-config").value : chosen, out];
  }

  // The stacked bars of each command: [title, parts, total], and the notes where the package withholds a number.
  function bars(command, out, info) {
    if (command === "memory") {
      const parts = Object.entries(out.training_state).filter(([, v]) => v > 0n)
        .map(([k, v]) => part(info, `training/${k}`, v));
      let peak = sum(parts), title;
      if (out.training_peak !== null) {
        const [moment] = Object.entries(out.training_peak_moments).reduce((a, b) => (b[1] > a[1] ? b : a));
        const at = info[`training_peak/${moment}`].label;
        if (moment === "start_of_backward") parts.push(part(info, "activations", out.activations));
        const rest = out.training_peak - sum(parts);
        if (rest > 0n) parts.push(part(info, `training_peak/${moment}`, rest, `other tensors at the peak (${at})`));
        peak = out.training_peak;
        title = `training-step peak (at the ${at})`;
      } else {
        title = "training state (weights, gradients, optimizer states; no activations counted)";
        note(`Activations and peak: not available (${out.note}).`);
      }
      const inference = [part(info, "weights", out.weights)];
      if (out.kv_cache !== null) inference.push(part(info, "kv_cache", out.kv_cache));
      else note(`KV cache: not available (${out.kv_cache_note}).`);
      return [[title, parts, peak], ["inference: weights and KV cache", inference, sum(inference)]];
    }
    if (command === "train") {
      const top = out.ranks.reduce((a, b) => (b.peak > a.peak ? b : a));
      const parts = ["parameters", "gradients", "optimizer_states", "activations"]
        .map((k) => part(info, `parallel/${k}`, top[k])).filter((p) => p.bytes > 0n);
      const rest = top.peak - sum(parts);
      if (rest > 0n) parts.push(part(info, "parallel/peak", rest, "other tensors at the peak"));
      const extra = out.largest_microbatch !== undefined ? ` The largest micro-batch that fits: ${out.largest_microbatch}.` : "";
      return [[`per-device peak of rank ${top.rank} of ${out.devices} (stage ${top.stage})`, parts, top.peak, extra]];
    }
    if (command === "serve") {
      const parts = [part(info, "serving/weights", out.weights)];
      if (out.kv_cache !== null) parts.push(part(info, "kv_cache", out.kv_cache));
      if (out.activations !== null) parts.push(part(info, "serving/working_memory", out.activations));
      if (out.note) note(`${out.note}.`);
      const extra = out.max_batch !== undefined ? ` On this card: at most ${out.max_batch} sequence(s) of this context, ` +
        `at most ${out.max_context} tokens for this batch.` : "";
      return [[`serving peak${out.total === null ? " (weights and KV cache; no working memory counted)" : ""}`, parts,
               out.total !== null ? out.total : sum(parts), extra]];
    }
    if (command === "finetune") {
      const parts = ["base_weights", "adapter_weights", "adapter_gradients", "optimizer_states"]
        .map((k) => part(info, `finetuning/${k}`, out[k])).filter((p) => p.bytes > 0n);
      if (out.activations !== null) parts.push(part(info, "finetuning/activations", out.activations));
      if (out.activations_upper_bound) {
        note("Saved activations: an upper bound (the full step's less what no LoRA step saves; chapter 17 follows " +
             "the LoRA step of the llama, Qwen3 and OLMo 2 families tensor by tensor).");
      }
      let total = sum(parts);
      if (out.peak !== null) {
        if (out.peak > total) parts.push(part(info, "finetuning/step_peak", out.peak - total, "other tensors at the peak"));
        total = out.peak;
      } else note(`Peak: not available (${out.note}).`);
      return [[`fine-tuning step: ${fmtInt(out.trainable_parameters)} trainable parameters`, parts, total]];
    }
    return [];
  }

  function update() {
    const error = $("eb-error");
    error.hidden = true;
    $("eb-notes").replaceChildren();
    const command = $("eb-command").value;
    for (const el of document.querySelectorAll("#eb-form [data-commands]")) {
      el.hidden = !el.getAttribute("data-commands").split(" ").includes(command);
    }
    try {
      const target = card();
      const [text, opts] = options(command, target);
      const out = eb.estimate(text, opts);
      const { info } = eb.terms(text, opts);
      $("eb-summary").textContent = `${out.model} (${out.model_type}), everybyte ${command}: batch ${out.batch}, ` +
        `${command === "serve" ? `context ${out.context}` : `sequence ${out.seq}`}, ${out.dtype}.`;
      const drawn = bars(command, out, info);
      $("eb-bar").replaceChildren(...drawn.map(([title, parts, total]) => bar(title[0].toUpperCase() + title.slice(1), parts, total, target.bytes)));
      $("eb-legend").replaceChildren(...drawn.flatMap(([, parts]) => legendItems(parts)));
      $("eb-verdict").textContent = drawn.map(([title, , total, extra = ""]) => `${title[0].toUpperCase() + title.slice(1)}: ` +
        `${bytesText(total)} ${total <= target.bytes ? "fits" : "does not fit"} in ${target.label} ` +
        `(${bytesText(target.bytes)}).${extra}`).join(" ");
      if (command === "time") {
        $("eb-verdict").textContent = Object.entries(out).filter(([k]) => info[`compute/${k}`])
          .map(([k, v]) => `${info[`compute/${k}`].label}: ${fmtInt(v)}`).join("; ") + ` (on ${target.label}).`;
      }
      $("eb-json").textContent = JSON.stringify(out, (k, v) => (typeof v === "bigint" ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString())
        : v instanceof window.pyjson.PyFloat ? v.value : v), 2);
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
      for (const id of ["eb-summary", "eb-verdict", "eb-json"]) $(id).textContent = "";
      $("eb-bar").replaceChildren();
      $("eb-legend").replaceChildren();
    }
  }

  fill($("eb-preset"), [...eb.presets, PASTED]);
  $("eb-preset").value = "gpt2";
  fill($("eb-dtype"), D.COMPUTE_DTYPES);
  fill($("eb-attention"), D.ATTENTIONS);
  fill($("eb-device"), D.DEVICES);
  fill($("eb-optimizer"), Object.keys(D.OPTIMIZERS), Object.values(D.OPTIMIZERS).map((o) => o.label));
  const cards = Object.keys(D.ACCELERATORS);
  fill($("eb-card"), [...cards, CUSTOM], [...cards.map((c) => D.ACCELERATORS[c].label), "custom (GiB below)"]);
  fill($("eb-recompute"), D.RECOMPUTE);
  fill($("eb-serve-dtype"), D.COMPUTE_DTYPES);
  $("eb-serve-dtype").value = "bf16";
  fill($("eb-weights"), ["auto", ...Object.keys(D.WEIGHT_FORMATS)],
       [`auto (the model's dtype)`, ...Object.entries(D.WEIGHT_FORMATS).map(([k, v]) => `${k}: ${v}`)]);
  fill($("eb-kv-dtype"), D.KV_DTYPES);
  fill($("eb-cache"), D.CACHE_KINDS);
  // Typing or pasting a config chooses it (the preset list says "(pasted config)").
  $("eb-config").addEventListener("input", () => { $("eb-preset").value = PASTED; });
  for (const id of ["eb-preset", "eb-config", "eb-command", "eb-batch", "eb-seq", "eb-dtype", "eb-attention", "eb-device",
                    "eb-optimizer", "eb-card", "eb-gib", "eb-dp", "eb-zero", "eb-tp", "eb-pp", "eb-recompute",
                    "eb-serve-dtype", "eb-weights", "eb-kv-dtype", "eb-cache", "eb-lora-rank", "eb-lora-targets",
                    "eb-qlora", "eb-dora", "eb-mfu", "eb-tokens"]) {
    $(id).addEventListener("input", update);
    $(id).addEventListener("change", update);
  }
  update();
})();
