"""The CTranslate2 model.bin reader and the CTranslate2 -> Hugging Face Whisper weight mapping.

* A synthetic tiny Whisper in CTranslate2's layout, written with our writer from known Hugging Face-style
  weights (fused the way CTranslate2's converter fuses them), read back and mapped: every parameter must
  come back with its shape and value; int8 weights with scales must dequantize.
* The real bundled tiny.en: its architecture and the zero k-bias slices that the fused layout implies.
* When torch and transformers are installed (requirements/convert.txt): a random tiny Hugging Face Whisper
  converted by ctranslate2's own converter must map back to the same weights.
"""

from __future__ import annotations

import io
import json
import struct

import numpy as np
import pytest

from whisper_live.convert.ct2_reader import CT2FormatError, read_model_bin, write_model_bin
from whisper_live.convert.mapping import MappingError, hf_state_dict, special_tokens, whisper_dims

D, HEADS, FFN, MELS, VOCAB, SRC_POS, TGT_POS = 8, 2, 16, 4, 40, 6, 5
ENC_LAYERS, DEC_LAYERS = 2, 3


def _hf_weights(seed: int = 0) -> dict[str, np.ndarray]:
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


def _ct2_variables(w: dict[str, np.ndarray], dtype=np.float16, int8: bool = False) -> dict[str, np.ndarray]:
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


def _write(variables, aliases=(("decoder/projection/weight", "decoder/embeddings/weight"),)) -> bytes:
    buffer = io.BytesIO()
    write_model_bin(buffer, "WhisperSpec", 3, variables, aliases)
    return buffer.getvalue()


# --- the reader ------------------------------------------------------------------------------------------------


def test_reader_round_trip_keeps_names_shapes_dtypes_values_and_aliases():
    variables = {
        "a/weight": np.arange(6, dtype=np.float32).reshape(2, 3),
        "a/half": np.array([1.5, -2.25], dtype=np.float16),
        "a/q": np.array([[-128, 127]], dtype=np.int8),
        "a/i16": np.array([3, -4], dtype=np.int16),
        "a/i32": np.array([1 << 20], dtype=np.int32),
        "scalar/flag": np.array(1, dtype=np.int8),
    }
    model = read_model_bin(_write(variables, [("b/weight", "a/weight"), ("c/weight", "b/weight")]))
    assert model.spec_name == "WhisperSpec" and model.revision == 3 and model.binary_version == 6
    for name, value in variables.items():
        assert model[name].dtype == value.dtype and model[name].shape == value.shape
        np.testing.assert_array_equal(model[name], value)
    np.testing.assert_array_equal(model["b/weight"], variables["a/weight"])
    np.testing.assert_array_equal(model["c/weight"], variables["a/weight"])  # alias of an alias
    assert model.scalar("scalar/flag") == 1


def test_reader_layout_matches_the_documented_bytes():
    # version 6, name "S", revision 2, one variable "x" of shape (2,) int16, no alias
    raw = (struct.pack("<I", 6) + struct.pack("<H", 2) + b"S\0" + struct.pack("<I", 2) + struct.pack("<I", 1)
           + struct.pack("<H", 2) + b"x\0" + struct.pack("<B", 1) + struct.pack("<I", 2)
           + struct.pack("<BI", 2, 4) + struct.pack("<hh", 7, -7) + struct.pack("<I", 0))
    model = read_model_bin(raw)
    assert model.spec_name == "S" and model.revision == 2
    np.testing.assert_array_equal(model["x"], np.array([7, -7], np.int16))


def test_reader_bfloat16_widens_to_float32():
    values = np.array([1.0, -3.5, 0.15625], np.float32)
    halves = (values.view(np.uint32) >> 16).astype("<u2")
    raw = (struct.pack("<I", 6) + struct.pack("<H", 2) + b"S\0" + struct.pack("<II", 1, 1)
           + struct.pack("<H", 2) + b"x\0" + struct.pack("<BI", 1, 3) + struct.pack("<BI", 5, 6)
           + halves.tobytes() + struct.pack("<I", 0))
    np.testing.assert_array_equal(read_model_bin(raw)["x"], values)


@pytest.mark.parametrize("mutate, message", [
    (lambda raw: struct.pack("<I", 99) + raw[4:], "binary version 99"),
    (lambda raw: raw[:-10], "truncated"),
    (lambda raw: raw + b"\0", "trailing"),
])
def test_reader_rejects_broken_files(mutate, message):
    raw = _write({"x": np.ones(3, np.float32)}, [])
    with pytest.raises(CT2FormatError, match=message):
        read_model_bin(mutate(raw))


# --- the mapping on a synthetic model ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_mapping_recovers_every_parameter(dtype):
    hf = _hf_weights()
    model = read_model_bin(_write(_ct2_variables(hf, dtype=dtype)))
    dims = whisper_dims(model)
    assert (dims.d_model, dims.n_mels, dims.vocab_size, dims.encoder_layers, dims.decoder_layers) == (
        D, MELS, VOCAB, ENC_LAYERS, DEC_LAYERS)
    assert (dims.encoder_heads, dims.decoder_heads, dims.encoder_ffn_dim, dims.decoder_ffn_dim) == (
        HEADS, HEADS, FFN, FFN)
    assert (dims.max_source_positions, dims.max_target_positions) == (SRC_POS, TGT_POS)
    assert not dims.multilingual
    mapped = hf_state_dict(model)
    assert set(mapped) == set(hf)
    tolerance = 0 if dtype == np.float32 else 2e-3
    for name, value in hf.items():
        assert mapped[name].shape == value.shape, name
        assert mapped[name].dtype == np.float32, name
        np.testing.assert_allclose(mapped[name], value, rtol=tolerance, atol=tolerance, err_msg=name)


def test_mapping_keeps_q_k_v_apart():
    # A mapping that swapped q and k (or k and v) would still have the right shapes: check the values.
    hf = _hf_weights(seed=1)
    mapped = hf_state_dict(read_model_bin(_write(_ct2_variables(hf, dtype=np.float32))))
    for layer in ("model.encoder.layers.1.self_attn", "model.decoder.layers.2.encoder_attn"):
        for proj in ("q_proj", "k_proj", "v_proj"):
            np.testing.assert_array_equal(mapped[f"{layer}.{proj}.weight"], hf[f"{layer}.{proj}.weight"])
        assert f"{layer}.k_proj.bias" not in mapped


def test_mapping_dequantizes_int8_weights_with_row_scales():
    hf = _hf_weights(seed=2)
    variables = _ct2_variables(hf, dtype=np.float32, int8=True)
    assert variables["encoder/layer_0/ffn/linear_0/weight"].dtype == np.int8
    mapped = hf_state_dict(read_model_bin(_write(variables)))
    for name in ("model.encoder.layers.0.fc1.weight", "model.decoder.layers.1.self_attn.v_proj.weight",
                 "model.encoder.conv1.weight"):
        step = np.abs(hf[name]).reshape(hf[name].shape[0], -1).max(axis=1) / 127
        error = np.abs(mapped[name] - hf[name]).reshape(hf[name].shape[0], -1).max(axis=1)
        assert np.all(error <= step / 2 + 1e-6), name
    np.testing.assert_array_equal(mapped["model.encoder.layers.0.fc1.bias"], hf["model.encoder.layers.0.fc1.bias"])


def test_mapping_rejects_untied_projection_and_other_specs():
    hf = _hf_weights()
    variables = _ct2_variables(hf, dtype=np.float32)
    variables["decoder/projection/weight"] = variables["decoder/embeddings/weight"] + 1
    with pytest.raises(MappingError, match="projection"):
        hf_state_dict(read_model_bin(_write(variables, [])))
    buffer = io.BytesIO()
    write_model_bin(buffer, "TransformerSpec", 1, {"x": np.ones(1, np.float32)})
    with pytest.raises(MappingError, match="not a Whisper model"):
        hf_state_dict(read_model_bin(buffer.getvalue()))


# --- the real bundled model --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_en_dir():
    from whisper_live.models import resolve_model

    return resolve_model("tiny.en")


def test_bundled_tiny_en_maps_with_its_known_architecture(tiny_en_dir):
    model = read_model_bin(f"{tiny_en_dir}/model.bin")
    dims = whisper_dims(model)
    assert (dims.d_model, dims.n_mels, dims.vocab_size) == (384, 80, 51864)
    assert (dims.encoder_layers, dims.decoder_layers, dims.encoder_heads, dims.decoder_heads) == (4, 4, 6, 6)
    assert (dims.max_source_positions, dims.max_target_positions) == (1500, 448)
    # The fused biases hold zeros where Hugging Face's k_proj has no bias: q|k|v and k|v order.
    for i in range(4):
        qkv = model[f"decoder/layer_{i}/self_attention/linear_0/bias"]
        assert not np.any(qkv[384:768]) and np.any(qkv[:384]) and np.any(qkv[768:])
        kv = model[f"decoder/layer_{i}/attention/linear_1/bias"]
        assert not np.any(kv[:384]) and np.any(kv[384:])
    state = hf_state_dict(model)
    assert state["model.decoder.layers.3.encoder_attn.k_proj.weight"].shape == (384, 384)
    assert len(state) == 4 * 15 + 4 * 24 + 11  # as many as WhisperForConditionalGeneration (tied head)


def test_special_tokens_of_bundled_tiny_en(tiny_en_dir):
    with open(f"{tiny_en_dir}/tokenizer.json", encoding="utf-8") as f:
        tokens = special_tokens(json.load(f))
    assert (tokens.eot, tokens.sot, tokens.translate, tokens.transcribe) == (50256, 50257, 50357, 50358)
    assert (tokens.sot_prev, tokens.no_timestamps, tokens.timestamp_begin) == (50360, 50362, 50363)
    assert tokens.languages["<|en|>"] == 50258 and len(tokens.languages) == 99


# --- against ctranslate2's own converter (needs requirements/convert.txt) ------------------------------------------


def test_mapping_inverts_ctranslate2s_converter(tmp_path, tiny_en_dir):
    import ctranslate2
    import torch
    import transformers

    from whisper_live.convert.openvino import _complete_tokenizer

    torch.manual_seed(0)
    config = transformers.WhisperConfig(
        vocab_size=51864, num_mel_bins=MELS, d_model=D, encoder_layers=ENC_LAYERS, decoder_layers=DEC_LAYERS,
        encoder_attention_heads=HEADS, decoder_attention_heads=HEADS, encoder_ffn_dim=FFN, decoder_ffn_dim=FFN,
        max_source_positions=SRC_POS, max_target_positions=TGT_POS, decoder_start_token_id=50257,
        eos_token_id=50256, bos_token_id=50256, pad_token_id=50256)
    model = transformers.WhisperForConditionalGeneration(config).eval()
    with torch.no_grad():  # random biases everywhere (HF initialises some to zero)
        for name, param in model.named_parameters():
            param.copy_(torch.randn_like(param))
    hf_dir = tmp_path / "hf"
    model.save_pretrained(hf_dir)
    with open(f"{tiny_en_dir}/tokenizer.json", encoding="utf-8") as f:
        tokenizer = _complete_tokenizer(json.load(f), 51864, 50363)
    (hf_dir / "tokenizer.json").write_text(json.dumps(tokenizer), encoding="utf-8")
    (hf_dir / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "WhisperTokenizer"}))
    ct2_dir = tmp_path / "ct2"
    ctranslate2.converters.TransformersConverter(str(hf_dir)).convert(str(ct2_dir), quantization="float32")

    mapped = hf_state_dict(read_model_bin(ct2_dir / "model.bin"))
    original = {name: value.detach().numpy() for name, value in model.state_dict().items()
                if name != "proj_out.weight"}
    assert set(mapped) == set(original)
    for name, value in original.items():
        np.testing.assert_array_equal(mapped[name], value, err_msg=name)
