"""A synthetic tiny Whisper for the convert tests: random Hugging Face-named weights, the same fused into
CTranslate2's layout (as its converter fuses them, optionally int8 with row scales), and model.bin bytes
written with whisper_live/convert/ct2_reader.py's writer."""

from __future__ import annotations

import io

import numpy as np

from whisper_live.convert.ct2_reader import write_model_bin


D, HEADS, FFN, MELS, VOCAB, SRC_POS, TGT_POS = 8, 2, 16, 4, 40, 6, 5
ENC_LAYERS, DEC_LAYERS = 2, 3


def hf_weights(seed: int = 0) -> dict[str, np.ndarray]:
    """Random Hugging Face-named float32 weights of a tiny Whisper (k_proj without bias, as in HF)."""
    rng = np.random.default_rng(seed)

    def r(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    w = {
        "model.encoder.conv1.weight": r(D, MELS, 3), "model.encoder.conv1.bias": r(D),
        "model.encoder.conv2.weight": r(D, D, 3), "model.encoder.conv2.bias": r(D),
        "model.encoder.embed_positions.weight": r(SRC_POS, D),
        "model.encoder.layer_norm.weight": r(D), "model.encoder.layer_norm.bias": r(D),
        "model.decoder.embed_tokens.weight": r(VOCAB, D),
        "model.decoder.embed_positions.weight": r(TGT_POS, D),
        "model.decoder.layer_norm.weight": r(D), "model.decoder.layer_norm.bias": r(D),
    }
    for side, count in (("encoder", ENC_LAYERS), ("decoder", DEC_LAYERS)):
        attentions = ["self_attn"] + (["encoder_attn"] if side == "decoder" else [])
        for i in range(count):
            p = f"model.{side}.layers.{i}"
            for att in attentions:
                for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
                    w[f"{p}.{att}.{proj}.weight"] = r(D, D)
                    if proj != "k_proj":
                        w[f"{p}.{att}.{proj}.bias"] = r(D)
                w[f"{p}.{att}_layer_norm.weight"] = r(D)
                w[f"{p}.{att}_layer_norm.bias"] = r(D)
            w[f"{p}.fc1.weight"], w[f"{p}.fc1.bias"] = r(FFN, D), r(FFN)
            w[f"{p}.fc2.weight"], w[f"{p}.fc2.bias"] = r(D, FFN), r(D)
            w[f"{p}.final_layer_norm.weight"], w[f"{p}.final_layer_norm.bias"] = r(D), r(D)
    return w


def _quantize_rows(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 with one scale per output row, as CTranslate2 stores quantized weights."""
    flat = weight.reshape(weight.shape[0], -1)
    scale = (127.0 / np.abs(flat).max(axis=1)).astype(np.float32)
    q = np.rint(flat * scale[:, None]).astype(np.int8).reshape(weight.shape)
    return q, scale


def ct2_variables(w: dict[str, np.ndarray], dtype=np.float16, int8: bool = False) -> dict[str, np.ndarray]:
    """CTranslate2's WhisperSpec variables for the HF weights ``w`` (the converter's fusion, written here)."""
    v: dict[str, np.ndarray] = {}

    def put(name, value, quantize=False):
        if quantize and int8:
            v[name], v[name + "_scale"] = _quantize_rows(value)
        else:
            v[name] = value.astype(dtype)

    def linear(dst, weight, bias, quantize=True):
        put(dst + "/weight", weight, quantize)
        put(dst + "/bias", bias)

    def norm(dst, src):
        put(dst + "/gamma", w[src + ".weight"])
        put(dst + "/beta", w[src + ".bias"])

    zeros = np.zeros(D, np.float32)
    v["decoder/activation"] = np.array(3, np.int8)
    v["encoder/num_heads"] = np.array(HEADS, np.int16)
    v["decoder/num_heads"] = np.array(HEADS, np.int16)
    for conv in ("conv1", "conv2"):
        linear(f"encoder/{conv}", w[f"model.encoder.{conv}.weight"], w[f"model.encoder.{conv}.bias"])
    put("encoder/position_encodings/encodings", w["model.encoder.embed_positions.weight"])
    norm("encoder/layer_norm", "model.encoder.layer_norm")
    for side, count in (("encoder", ENC_LAYERS), ("decoder", DEC_LAYERS)):
        for i in range(count):
            p, s = f"model.{side}.layers.{i}", f"{side}/layer_{i}"
            a = p + ".self_attn"
            linear(f"{s}/self_attention/linear_0",
                   np.concatenate([w[f"{a}.q_proj.weight"], w[f"{a}.k_proj.weight"], w[f"{a}.v_proj.weight"]]),
                   np.concatenate([w[f"{a}.q_proj.bias"], zeros, w[f"{a}.v_proj.bias"]]))
            linear(f"{s}/self_attention/linear_1", w[f"{a}.out_proj.weight"], w[f"{a}.out_proj.bias"])
            norm(f"{s}/self_attention/layer_norm", p + ".self_attn_layer_norm")
            if side == "decoder":
                c = p + ".encoder_attn"
                linear(f"{s}/attention/linear_0", w[f"{c}.q_proj.weight"], w[f"{c}.q_proj.bias"])
                linear(f"{s}/attention/linear_1",
                       np.concatenate([w[f"{c}.k_proj.weight"], w[f"{c}.v_proj.weight"]]),
                       np.concatenate([zeros, w[f"{c}.v_proj.bias"]]))
                linear(f"{s}/attention/linear_2", w[f"{c}.out_proj.weight"], w[f"{c}.out_proj.bias"])
                norm(f"{s}/attention/layer_norm", p + ".encoder_attn_layer_norm")
            linear(f"{s}/ffn/linear_0", w[p + ".fc1.weight"], w[p + ".fc1.bias"])
            linear(f"{s}/ffn/linear_1", w[p + ".fc2.weight"], w[p + ".fc2.bias"])
            norm(f"{s}/ffn/layer_norm", p + ".final_layer_norm")
    put("decoder/embeddings/weight", w["model.decoder.embed_tokens.weight"])
    put("decoder/position_encodings/encodings", w["model.decoder.embed_positions.weight"])
    norm("decoder/layer_norm", "model.decoder.layer_norm")
    return v


def model_bin(variables, aliases=(("decoder/projection/weight", "decoder/embeddings/weight"),)) -> bytes:
    buffer = io.BytesIO()
    write_model_bin(buffer, "WhisperSpec", 3, variables, aliases)
    return buffer.getvalue()
