"""Map a CTranslate2 Whisper model back to Hugging Face ``WhisperForConditionalGeneration`` weights.

Pure numpy, so it can be tested without torch. CTranslate2's Whisper converter fuses and renames the
Hugging Face layers; this module undoes it:

=========================================================  ================================================
CTranslate2 variable                                       Hugging Face parameter
=========================================================  ================================================
encoder/conv{1,2}/{weight,bias}                            model.encoder.conv{1,2}.{weight,bias}
encoder/position_encodings/encodings                       model.encoder.embed_positions.weight
encoder/layer_norm/{gamma,beta}                            model.encoder.layer_norm.{weight,bias}
{enc,dec}/layer_N/self_attention/linear_0  (q, k, v)       ...layers.N.self_attn.{q,k,v}_proj (k: no bias)
{enc,dec}/layer_N/self_attention/linear_1                  ...layers.N.self_attn.out_proj
{enc,dec}/layer_N/self_attention/layer_norm                ...layers.N.self_attn_layer_norm
decoder/layer_N/attention/linear_0  (q)                    model.decoder.layers.N.encoder_attn.q_proj
decoder/layer_N/attention/linear_1  (k, v)                 ...encoder_attn.{k,v}_proj (k: no bias)
decoder/layer_N/attention/linear_2                         ...encoder_attn.out_proj
decoder/layer_N/attention/layer_norm                       ...encoder_attn_layer_norm
{enc,dec}/layer_N/ffn/linear_{0,1}                         ...layers.N.fc{1,2}
{enc,dec}/layer_N/ffn/layer_norm                           ...layers.N.final_layer_norm
decoder/embeddings/weight                                  model.decoder.embed_tokens.weight (= proj_out)
decoder/position_encodings/encodings                       model.decoder.embed_positions.weight
decoder/layer_norm                                         model.decoder.layer_norm
=========================================================  ================================================

``gamma``/``beta`` are LayerNorm ``weight``/``bias``. Fused projections are plain concatenations along the
output axis (no per-head interleaving, no query scaling). Hugging Face's k_proj has no bias, so the k
slice of a fused bias is dropped (CTranslate2 stores zeros there). Quantized weights are dequantized.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from whisper_live.convert.ct2_reader import CT2Model


class MappingError(ValueError):
    """The CTranslate2 model is not a Whisper model this mapping understands."""


@dataclass
class WhisperDims:
    n_mels: int
    d_model: int
    vocab_size: int
    encoder_layers: int
    decoder_layers: int
    encoder_heads: int
    decoder_heads: int
    encoder_ffn_dim: int
    decoder_ffn_dim: int
    max_source_positions: int
    max_target_positions: int

    @property
    def multilingual(self) -> bool:
        # English-only checkpoints have 51864 tokens, multilingual ones 51865 (51866 with Cantonese).
        return self.vocab_size >= 51865


def _count_layers(model: CT2Model, prefix: str) -> int:
    indices = {int(m.group(1)) for name in model.variables
               for m in [re.match(rf"{prefix}/layer_(\d+)/", name)] if m}
    if not indices:
        return 0
    if indices != set(range(max(indices) + 1)):
        raise MappingError(f"{prefix} layers are not numbered 0..n-1: {sorted(indices)}")
    return max(indices) + 1


def whisper_dims(model: CT2Model) -> WhisperDims:
    """The architecture of a CTranslate2 Whisper model, read from its variables' shapes."""
    if model.spec_name != "WhisperSpec":
        raise MappingError(f"not a Whisper model: spec {model.spec_name!r}")
    for required in ("encoder/conv1/weight", "decoder/embeddings/weight",
                     "encoder/position_encodings/encodings", "decoder/position_encodings/encodings"):
        if required not in model:
            raise MappingError(f"model.bin lacks {required}")
    conv1 = model["encoder/conv1/weight"]
    embeddings = model["decoder/embeddings/weight"]
    encoder_layers = _count_layers(model, "encoder")
    decoder_layers = _count_layers(model, "decoder")
    if not encoder_layers or not decoder_layers:
        raise MappingError("model.bin has no encoder or no decoder layers")
    activation = model.scalar("decoder/activation")
    if activation is not None and activation != 3:  # common_spec.Activation.GELU
        raise MappingError(f"decoder activation id {activation} is not GELU")
    return WhisperDims(
        n_mels=conv1.shape[1],
        d_model=conv1.shape[0],
        vocab_size=embeddings.shape[0],
        encoder_layers=encoder_layers,
        decoder_layers=decoder_layers,
        encoder_heads=int(model.scalar("encoder/num_heads")),
        decoder_heads=int(model.scalar("decoder/num_heads")),
        encoder_ffn_dim=model["encoder/layer_0/ffn/linear_0/weight"].shape[0],
        decoder_ffn_dim=model["decoder/layer_0/ffn/linear_0/weight"].shape[0],
        max_source_positions=model["encoder/position_encodings/encodings"].shape[0],
        max_target_positions=model["decoder/position_encodings/encodings"].shape[0],
    )


def _split(array: np.ndarray, parts: int, name: str) -> list[np.ndarray]:
    if array.shape[0] % parts:
        raise MappingError(f"{name}: first dim {array.shape[0]} does not split in {parts}")
    return np.split(array, parts, axis=0)


def _linear(model: CT2Model, src: str, dst: str, out: dict, bias: bool = True) -> None:
    out[dst + ".weight"] = model.dequantized(src + "/weight")
    if bias:
        out[dst + ".bias"] = model.dequantized(src + "/bias")


def _norm(model: CT2Model, src: str, dst: str, out: dict) -> None:
    out[dst + ".weight"] = model.dequantized(src + "/gamma")
    out[dst + ".bias"] = model.dequantized(src + "/beta")


def _fused(model: CT2Model, src: str, dst_prefix: str, names: list[str], out: dict) -> None:
    weights = _split(model.dequantized(src + "/weight"), len(names), src + "/weight")
    biases = _split(model.dequantized(src + "/bias"), len(names), src + "/bias")
    for name, weight, bias in zip(names, weights, biases):
        out[f"{dst_prefix}.{name}.weight"] = weight
        if name != "k_proj":  # Hugging Face's Whisper k_proj has no bias
            out[f"{dst_prefix}.{name}.bias"] = bias


def hf_state_dict(model: CT2Model) -> dict[str, np.ndarray]:
    """Hugging Face parameter name -> float32 array, for every parameter of WhisperForConditionalGeneration."""
    dims = whisper_dims(model)
    out: dict[str, np.ndarray] = {}
    for conv in ("conv1", "conv2"):
        _linear(model, f"encoder/{conv}", f"model.encoder.{conv}", out)
    out["model.encoder.embed_positions.weight"] = model.dequantized("encoder/position_encodings/encodings")
    _norm(model, "encoder/layer_norm", "model.encoder.layer_norm", out)
    for side, count in (("encoder", dims.encoder_layers), ("decoder", dims.decoder_layers)):
        for i in range(count):
            src = f"{side}/layer_{i}"
            dst = f"model.{side}.layers.{i}"
            _fused(model, f"{src}/self_attention/linear_0", f"{dst}.self_attn", ["q_proj", "k_proj", "v_proj"], out)
            _linear(model, f"{src}/self_attention/linear_1", f"{dst}.self_attn.out_proj", out)
            _norm(model, f"{src}/self_attention/layer_norm", f"{dst}.self_attn_layer_norm", out)
            if side == "decoder":
                _linear(model, f"{src}/attention/linear_0", f"{dst}.encoder_attn.q_proj", out)
                _fused(model, f"{src}/attention/linear_1", f"{dst}.encoder_attn", ["k_proj", "v_proj"], out)
                _linear(model, f"{src}/attention/linear_2", f"{dst}.encoder_attn.out_proj", out)
                _norm(model, f"{src}/attention/layer_norm", f"{dst}.encoder_attn_layer_norm", out)
            _linear(model, f"{src}/ffn/linear_0", f"{dst}.fc1", out)
            _linear(model, f"{src}/ffn/linear_1", f"{dst}.fc2", out)
            _norm(model, f"{src}/ffn/layer_norm", f"{dst}.final_layer_norm", out)
    out["model.decoder.embed_tokens.weight"] = model.dequantized("decoder/embeddings/weight")
    out["model.decoder.embed_positions.weight"] = model.dequantized("decoder/position_encodings/encodings")
    _norm(model, "decoder/layer_norm", "model.decoder.layer_norm", out)
    if "decoder/projection/weight" in model:
        projection = model.dequantized("decoder/projection/weight")
        if not np.array_equal(projection, out["model.decoder.embed_tokens.weight"]):
            raise MappingError("decoder projection differs from the token embeddings; untied Whisper "
                               "heads are not supported")
    _check_shapes(out, dims)
    return out


def _check_shapes(state: dict[str, np.ndarray], dims: WhisperDims) -> None:
    d = dims.d_model
    expected = {
        "model.encoder.conv1.weight": (d, dims.n_mels, 3),
        "model.encoder.conv2.weight": (d, d, 3),
        "model.encoder.embed_positions.weight": (dims.max_source_positions, d),
        "model.decoder.embed_tokens.weight": (dims.vocab_size, d),
        "model.decoder.embed_positions.weight": (dims.max_target_positions, d),
        "model.encoder.layers.0.self_attn.q_proj.weight": (d, d),
        "model.encoder.layers.0.fc1.weight": (dims.encoder_ffn_dim, d),
        "model.decoder.layers.0.encoder_attn.k_proj.weight": (d, d),
        "model.decoder.layers.0.fc2.weight": (d, dims.decoder_ffn_dim),
    }
    for name, shape in expected.items():
        if state[name].shape != shape:
            raise MappingError(f"{name}: shape {state[name].shape}, expected {shape}")
    if d % dims.encoder_heads or d % dims.decoder_heads:
        raise MappingError(f"d_model {d} is not a multiple of the head counts")


def hf_config(dims: WhisperDims, tokens: "SpecialTokens", suppress_tokens: list[int],
              begin_suppress_tokens: list[int]) -> dict:
    """config.json of the equivalent WhisperForConditionalGeneration."""
    return {
        "architectures": ["WhisperForConditionalGeneration"],
        "model_type": "whisper",
        "activation_function": "gelu",
        "d_model": dims.d_model,
        "num_mel_bins": dims.n_mels,
        "vocab_size": dims.vocab_size,
        "encoder_layers": dims.encoder_layers,
        "decoder_layers": dims.decoder_layers,
        "num_hidden_layers": dims.encoder_layers,
        "encoder_attention_heads": dims.encoder_heads,
        "decoder_attention_heads": dims.decoder_heads,
        "encoder_ffn_dim": dims.encoder_ffn_dim,
        "decoder_ffn_dim": dims.decoder_ffn_dim,
        "max_source_positions": dims.max_source_positions,
        "max_target_positions": dims.max_target_positions,
        "max_length": dims.max_target_positions,
        "scale_embedding": False,
        "tie_word_embeddings": True,
        "use_cache": True,
        "dropout": 0.0,
        "attention_dropout": 0.0,
        "activation_dropout": 0.0,
        "encoder_layerdrop": 0.0,
        "decoder_layerdrop": 0.0,
        "init_std": 0.02,
        "median_filter_width": 7,
        "bos_token_id": tokens.eot,
        "eos_token_id": tokens.eot,
        "pad_token_id": tokens.eot,
        "decoder_start_token_id": tokens.sot,
        "suppress_tokens": suppress_tokens,
        "begin_suppress_tokens": begin_suppress_tokens,
        "torch_dtype": "float32",
    }


@dataclass
class SpecialTokens:
    """Ids of Whisper's special tokens, read from the model's tokenizer.json."""

    eot: int
    sot: int
    translate: int
    transcribe: int
    sot_lm: int
    sot_prev: int
    no_speech: int
    no_timestamps: int
    languages: dict[str, int]  # "<|en|>" -> id

    @property
    def timestamp_begin(self) -> int:
        return self.no_timestamps + 1


def special_tokens(tokenizer: dict) -> SpecialTokens:
    """Find the special token ids in a Hugging Face tokenizer.json (already parsed)."""
    ids = {token["content"]: token["id"] for token in tokenizer.get("added_tokens", [])}

    def need(*names: str) -> int:
        for name in names:
            if name in ids:
                return ids[name]
        raise MappingError(f"tokenizer.json lacks the special token {names[0]}")

    tokens = SpecialTokens(
        eot=need("<|endoftext|>"), sot=need("<|startoftranscript|>"), translate=need("<|translate|>"),
        transcribe=need("<|transcribe|>"), sot_lm=need("<|startoflm|>"), sot_prev=need("<|startofprev|>"),
        no_speech=need("<|nospeech|>", "<|nocaptions|>"), no_timestamps=need("<|notimestamps|>"),
        languages={},
    )
    # Language tokens sit between <|startoftranscript|> and <|translate|>.
    for content, token_id in sorted(ids.items(), key=lambda item: item[1]):
        if tokens.sot < token_id < tokens.translate and re.fullmatch(r"<\|[a-z]{2,3}\|>", content):
            tokens.languages[content] = token_id
    return tokens


def generation_config(dims: WhisperDims, tokens: SpecialTokens, suppress_tokens: list[int],
                      begin_suppress_tokens: list[int], alignment_heads: list) -> dict:
    """generation_config.json, with the fields openvino-genai's WhisperPipeline reads."""
    config = {
        "decoder_start_token_id": tokens.sot,
        "bos_token_id": tokens.eot,
        "eos_token_id": tokens.eot,
        "pad_token_id": tokens.eot,
        "no_timestamps_token_id": tokens.no_timestamps,
        "prev_sot_token_id": tokens.sot_prev,
        "is_multilingual": dims.multilingual,
        "max_initial_timestamp_index": 50,
        "max_length": dims.max_target_positions,
        "suppress_tokens": suppress_tokens,
        "begin_suppress_tokens": begin_suppress_tokens,
        "alignment_heads": [list(pair) for pair in alignment_heads],
        "return_timestamps": False,
    }
    if dims.multilingual:
        config["lang_to_id"] = dict(tokens.languages)
        config["task_to_id"] = {"transcribe": tokens.transcribe, "translate": tokens.translate}
    else:
        # English-only models have no language or task token in their prompt; the pipeline still
        # reads the map, so give it English alone.
        config["lang_to_id"] = {"<|en|>": tokens.languages.get("<|en|>", tokens.sot + 1)}
        config["task_to_id"] = {"transcribe": tokens.transcribe, "translate": tokens.translate}
    return config
