"""Configurations of every supported model type for the tests: odd sizes and every option a type has.

Each entry is a ``config.json`` dict; the tests build it with transformers on
the meta device (:func:`everybyte.measure.build_model`) and compare the real
tensors with the package's table.  Sizes are odd on purpose (vocabularies
that are not multiples of 64, head counts that are not powers of two,
grouped-query attention, head widths that do not tile ``hidden_size``), and
each option flips what the defaults leave off (tied or untied, biases, q/k
norms, parallel residuals, layer patterns).
"""

# Small llama-named sizes: 6 query heads, 2 key/value heads of width 14 (6 * 14 != 60).
_GQA = {"hidden_size": 60, "num_attention_heads": 6, "num_key_value_heads": 2, "head_dim": 14,
        "intermediate_size": 98, "num_hidden_layers": 3, "vocab_size": 997}
# Plain multi-head sizes for code that derives head_dim = hidden_size / heads.
_MHA = {"hidden_size": 60, "num_attention_heads": 5, "intermediate_size": 98, "num_hidden_layers": 3,
        "vocab_size": 997}

ODD = {
    "gpt2": [{"n_embd": 60, "n_layer": 3, "n_head": 5, "vocab_size": 1001, "n_positions": 37, "n_inner": 100,
              "tie_word_embeddings": False}],
    "llama": [{**_GQA, "attention_bias": True, "mlp_bias": True, "tie_word_embeddings": True}],
    "mistral": [{"hidden_size": 80, "num_attention_heads": 5, "num_key_value_heads": 1, "intermediate_size": 130,
                 "num_hidden_layers": 2, "vocab_size": 777, "tie_word_embeddings": True}],
    "qwen2": [{"hidden_size": 72, "num_attention_heads": 6, "num_key_value_heads": 3, "intermediate_size": 100,
               "num_hidden_layers": 2, "vocab_size": 500, "tie_word_embeddings": True}],
    "gpt_neox": [{"hidden_size": 48, "num_attention_heads": 3, "intermediate_size": 70, "num_hidden_layers": 2,
                  "vocab_size": 321, "attention_bias": False, "use_parallel_residual": False,
                  "tie_word_embeddings": True}],
    "mixtral": [{"hidden_size": 48, "num_attention_heads": 6, "num_key_value_heads": 3, "num_local_experts": 5,
                 "num_experts_per_tok": 3, "intermediate_size": 40, "num_hidden_layers": 2, "vocab_size": 300,
                 "tie_word_embeddings": True}],
    "internlm3": [{**_GQA, "qkv_bias": True, "bias": True, "tie_word_embeddings": True}],
    "exaone": [{**{k: v for k, v in _GQA.items() if k != "num_hidden_layers"}, "num_layers": 2,
                "attention_bias": True, "tie_word_embeddings": True}],
    "gptj": [{"n_embd": 60, "n_layer": 3, "n_head": 5, "vocab_size": 1001, "n_positions": 37, "rotary_dim": 6,
              "n_inner": 100, "tie_word_embeddings": True},
             {"n_embd": 48, "n_layer": 2, "n_head": 4, "vocab_size": 333, "n_positions": 19, "rotary_dim": 5}],
    "bloom": [{"hidden_size": 60, "n_layer": 3, "n_head": 5, "vocab_size": 1001, "tie_word_embeddings": False}],
    "falcon": [{"hidden_size": 60, "num_hidden_layers": 2, "num_attention_heads": 5, "vocab_size": 999,
                "ffn_hidden_size": 98, "tie_word_embeddings": False},
               {"hidden_size": 60, "num_hidden_layers": 2, "num_attention_heads": 6, "num_kv_heads": 2,
                "new_decoder_architecture": True, "bias": True, "vocab_size": 999},
               {"hidden_size": 60, "num_hidden_layers": 2, "num_attention_heads": 6, "num_kv_heads": 3,
                "new_decoder_architecture": True, "num_ln_in_parallel_attn": 1, "vocab_size": 999},
               {"hidden_size": 60, "num_hidden_layers": 2, "num_attention_heads": 5, "multi_query": False,
                "parallel_attn": False, "bias": True, "vocab_size": 999}],
    "mpt": [{"d_model": 60, "n_layers": 3, "n_heads": 5, "vocab_size": 1001, "expansion_ratio": 3,
             "tie_word_embeddings": False}],
    "gpt_bigcode": [{"n_embd": 60, "n_layer": 3, "n_head": 5, "vocab_size": 1001, "n_positions": 37, "n_inner": 100,
                     "tie_word_embeddings": False},
                    {"n_embd": 60, "n_layer": 2, "n_head": 5, "vocab_size": 1001, "n_positions": 23,
                     "multi_query": False}],
    "stablelm": [{**_MHA, "num_key_value_heads": 1, "use_qkv_bias": True, "qk_layernorm": True,
                  "tie_word_embeddings": True},
                 {**_MHA, "num_key_value_heads": 5, "use_parallel_residual": True, "partial_rotary_factor": 0.5}],
    "phi": [{**_MHA, "num_key_value_heads": 5, "qk_layernorm": True, "tie_word_embeddings": True},
            {**_GQA}],
    "phi3": [{**_GQA, "tie_word_embeddings": True, "sliding_window": 7, "pad_token_id": 0}],
    "gemma": [{**_GQA, "attention_bias": True, "tie_word_embeddings": False}],
    "gemma2": [{**_GQA, "num_hidden_layers": 5, "tie_word_embeddings": False,
                "layer_types": ["sliding_attention", "full_attention", "full_attention", "sliding_attention",
                                "full_attention"]}],
    "gemma3_text": [{**_GQA, "num_hidden_layers": 7, "attention_bias": True, "sliding_window_pattern": 3}],
    "olmo": [{**_GQA, "attention_bias": True, "tie_word_embeddings": True}],
    "olmo2": [{**_GQA, "attention_bias": True, "tie_word_embeddings": True}],
    "olmo3": [{**_GQA, "num_hidden_layers": 5, "tie_word_embeddings": True}],
    "granite": [{**_GQA, "attention_bias": True, "mlp_bias": True, "tie_word_embeddings": True,
                 "embedding_multiplier": 3.0, "residual_multiplier": 0.5}],
    "cohere": [{**_GQA, "use_qk_norm": True, "tie_word_embeddings": False}, {**_GQA, "attention_bias": True}],
    "cohere2": [{**_GQA, "num_hidden_layers": 5, "attention_bias": True, "tie_word_embeddings": False}],
    "starcoder2": [{**_GQA, "use_bias": False, "tie_word_embeddings": False, "sliding_window": 5}],
    "exaone4": [{**_GQA, "num_hidden_layers": 5, "sliding_window_pattern": 3, "tie_word_embeddings": True}],
    "glm4": [{**_GQA, "attention_bias": False, "tie_word_embeddings": True, "partial_rotary_factor": 0.25,
              "pad_token_id": 0}],
    "smollm3": [{**_GQA, "num_hidden_layers": 4, "use_sliding_window": True, "sliding_window": 9,
                 "attention_bias": True, "mlp_bias": True, "tie_word_embeddings": False, "pad_token_id": 0}],
    "seed_oss": [{**_GQA, "attention_out_bias": True, "mlp_bias": True, "tie_word_embeddings": True}],
    "apertus": [{**_GQA, "attention_bias": True, "tie_word_embeddings": True}],
    "ernie4_5": [{**_GQA, "use_bias": True, "tie_word_embeddings": False}],
    "ministral": [{**_GQA, "sliding_window": 11, "tie_word_embeddings": True}],
    "ministral3": [{**_GQA, "tie_word_embeddings": True, "sliding_window": 17}],
}
