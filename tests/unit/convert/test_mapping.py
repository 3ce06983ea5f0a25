"""The CTranslate2 -> Hugging Face Whisper weight mapping (whisper_live/convert/mapping.py).

* A synthetic tiny Whisper in CTranslate2's layout (tests/unit/convert/tiny_whisper.py), written with our
  writer from known Hugging Face-style weights (fused the way CTranslate2's converter fuses them), read back
  and mapped: every parameter must come back with its shape and value; int8 weights with scales must
  dequantize.
* The real bundled tiny.en: its architecture and the zero k-bias slices that the fused layout implies.
* When torch and transformers are installed (requirements/convert.txt): a random tiny Hugging Face Whisper
  converted by ctranslate2's own converter must map back to the same weights.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from tests.unit.convert.tiny_whisper import (D, DEC_LAYERS, ENC_LAYERS, FFN, HEADS, MELS, SRC_POS, TGT_POS, VOCAB,
                                             ct2_variables, hf_weights, model_bin)
from whisper_live.convert.ct2_reader import read_model_bin, write_model_bin
from whisper_live.convert.mapping import MappingError, hf_state_dict, special_tokens, whisper_dims


# --- the mapping on a synthetic model ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_mapping_recovers_every_parameter(dtype):
    hf = hf_weights()
    model = read_model_bin(model_bin(ct2_variables(hf, dtype=dtype)))
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
    hf = hf_weights(seed=1)
    mapped = hf_state_dict(read_model_bin(model_bin(ct2_variables(hf, dtype=np.float32))))
    for layer in ("model.encoder.layers.1.self_attn", "model.decoder.layers.2.encoder_attn"):
        for proj in ("q_proj", "k_proj", "v_proj"):
            np.testing.assert_array_equal(mapped[f"{layer}.{proj}.weight"], hf[f"{layer}.{proj}.weight"])
        assert f"{layer}.k_proj.bias" not in mapped


def test_mapping_dequantizes_int8_weights_with_row_scales():
    hf = hf_weights(seed=2)
    variables = ct2_variables(hf, dtype=np.float32, int8=True)
    assert variables["encoder/layer_0/ffn/linear_0/weight"].dtype == np.int8
    mapped = hf_state_dict(read_model_bin(model_bin(variables)))
    for name in ("model.encoder.layers.0.fc1.weight", "model.decoder.layers.1.self_attn.v_proj.weight",
                 "model.encoder.conv1.weight"):
        step = np.abs(hf[name]).reshape(hf[name].shape[0], -1).max(axis=1) / 127
        error = np.abs(mapped[name] - hf[name]).reshape(hf[name].shape[0], -1).max(axis=1)
        assert np.all(error <= step / 2 + 1e-6), name
    np.testing.assert_array_equal(mapped["model.encoder.layers.0.fc1.bias"], hf["model.encoder.layers.0.fc1.bias"])


def test_mapping_rejects_untied_projection_and_other_specs():
    hf = hf_weights()
    variables = ct2_variables(hf, dtype=np.float32)
    variables["decoder/projection/weight"] = variables["decoder/embeddings/weight"] + 1
    with pytest.raises(MappingError, match="projection"):
        hf_state_dict(read_model_bin(model_bin(variables, [])))
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
