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
    if (name === CUSTOM) return { label: `${$("eb-gib").value.trim()} GiB (custom)`, bytes: gibBytes($("eb-gib").value) };
    const a = D.ACCELERATORS[name];
    return { label: a.label, bytes: a.memory_bytes };
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
    Object.entries({ x: Math.min(cap, width - 4), y: height + 15, "text-anchor": "end", "font-size": 11 })
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

  function update() {
    const error = $("eb-error");
    const notes = $("eb-notes");
    error.hidden = true;
    notes.replaceChildren();
    try {
      const chosen = $("eb-preset").value;
      const text = chosen === PASTED ? $("eb-config").value : chosen;
      const options = { batch: $("eb-batch").value, seq: $("eb-seq").value, dtype: $("eb-dtype").value,
                        attention: $("eb-attention").value, device: $("eb-device").value,
                        optimizer: $("eb-optimizer").value };
      const out = eb.estimate(text, options);
      const detail = eb.terms(text, options);
      const info = detail.info;
      const target = card();
      $("eb-summary").textContent = `${out.model} (${out.model_type}): ${fmtInt(out.parameters)} parameters; ` +
        `batch ${out.batch}, sequence ${out.seq}; ${out.dtype}, ${out.attention} attention, ${out.device}, ` +
        `${D.OPTIMIZERS[out.optimizer].label}.`;

      // Training: the state the step keeps, and the activations where the package counts them.
      const state = Object.entries(out.training_state).filter(([, v]) => v > 0n)
        .map(([k, v]) => ({ key: `training/${k}`, label: info[`training/${k}`].label, bytes: v }));
      const parts = [...state];
      let peak = state.reduce((a, p) => a + p.bytes, 0n);
      let peakText;
      if (out.training_peak !== null) {
        const moments = Object.entries(out.training_peak_moments);
        const [moment] = moments.reduce((a, b) => (b[1] > a[1] ? b : a));
        if (moment === "start_of_backward") parts.push({ key: "activations", label: info.activations.label, bytes: out.activations });
        const rest = out.training_peak - parts.reduce((a, p) => a + p.bytes, 0n);
        if (rest > 0n) {
          parts.push({ key: `training_peak/${moment}`, label: `other tensors at the peak (${info[`training_peak/${moment}`].label})`, bytes: rest });
        }
        peak = out.training_peak;
        peakText = `training-step peak (at the ${info[`training_peak/${moment}`].label})`;
      } else {
        peakText = "training state (weights, gradients, optimizer states; no activations counted)";
      }
      // Inference: the weights in the dtype and the KV cache of the workload.
      const inference = [{ key: "weights", label: info.weights.label, bytes: out.weights }];
      if (out.kv_cache !== null) inference.push({ key: "kv_cache", label: info.kv_cache.label, bytes: out.kv_cache });
      const inferenceTotal = inference.reduce((a, p) => a + p.bytes, 0n);

      $("eb-bar").replaceChildren(bar(`Training step: ${peakText}`, parts, peak, target.bytes),
                                  bar("Inference: weights and KV cache", inference, inferenceTotal, target.bytes));
      $("eb-legend").replaceChildren(...legendItems(parts), ...legendItems(inference));
      const verdict = (what, n) => `${what} ${bytesText(n)} ${n <= target.bytes ? "fits" : "does not fit"} in ` +
        `${target.label}: ${bytesText(target.bytes)}.`;
      $("eb-verdict").textContent = `${verdict(peakText[0].toUpperCase() + peakText.slice(1), peak)} ` +
        `${verdict("Inference (weights and KV cache)", inferenceTotal)}`;
      for (const note of [out.note && `Activations and peak: not available (${out.note}).`,
                          out.kv_cache_note && `KV cache: not available (${out.kv_cache_note}).`]) {
        if (note) { const li = document.createElement("li"); li.textContent = note; notes.appendChild(li); }
      }
      $("eb-json").textContent = JSON.stringify(out, (k, v) => (typeof v === "bigint" ? Number.isSafeInteger(Number(v)) ? Number(v) : v.toString() : v), 2);
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
  for (const id of ["eb-preset", "eb-config", "eb-batch", "eb-seq", "eb-dtype", "eb-attention", "eb-device",
                    "eb-optimizer", "eb-card", "eb-gib"]) {
    $(id).addEventListener("input", update);
    $(id).addEventListener("change", update);
  }
  update();
})();
