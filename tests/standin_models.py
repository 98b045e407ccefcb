"""Build small gptneox GGUF models with random weights and the real GPT-NeoX vocabulary.

RedPajama-INCITE-Chat-3B-v1 cannot be downloaded in the test environment. A gptneox model built
from its tokenizer (50,432 tokens) runs through the same llama.cpp architecture, tokenizer,
chat format and logits width, only with tiny random weights. The benchmarks use the same
builder with RedPajama's real layer sizes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

VOCAB_PATH = Path(__file__).parent / "data" / "ggml-vocab-gpt-neox.gguf"


@dataclass(frozen=True)
class GptNeoXShape:
    """Layer sizes of a gptneox model. The defaults make a 28 MB float32 model."""

    block_count: int = 2
    embedding_length: int = 64
    head_count: int = 4
    feed_forward_length: int = 256
    context_length: int = 2048
    rotary_dimensions: int | None = None  # None rotates the whole head, as RedPajama does
    use_parallel_residual: bool = False


# RedPajama-INCITE-Chat-3B-v1's config.json on the Hugging Face Hub: 32 layers, hidden size 2560,
# 32 heads, intermediate size 10240, rotary_pct 1.0, use_parallel_residual false, 2048 positions.
REDPAJAMA_3B_SHAPE = GptNeoXShape(
    block_count=32,
    embedding_length=2560,
    head_count=32,
    feed_forward_length=10240,
    context_length=2048,
)


def build_gptneox_model(
    path: Path,
    shape: GptNeoXShape = GptNeoXShape(),
    *,
    seed: int = 0,
    weight_scale: float = 0.5,
    name: str = "gptneox-standin",
    float_type: str = "f32",
) -> Path:
    """Write a gptneox GGUF with random weights and the GPT-NeoX tokenizer to ``path``.

    ``float_type`` is "f32" or "f16" for the matrices; norms and biases stay float32, as in
    llama.cpp's own conversions.
    """
    import gguf

    vocab = gguf.GGUFReader(VOCAB_PATH)
    tokens = [bytes(vocab.fields["tokenizer.ggml.tokens"].parts[i]) for i in vocab.fields["tokenizer.ggml.tokens"].data]
    token_types = [int(vocab.fields["tokenizer.ggml.token_type"].parts[i][0]) for i in vocab.fields["tokenizer.ggml.token_type"].data]
    merges = [bytes(vocab.fields["tokenizer.ggml.merges"].parts[i]) for i in vocab.fields["tokenizer.ggml.merges"].data]
    vocab_size = len(tokens)

    head_dimension = shape.embedding_length // shape.head_count
    writer = gguf.GGUFWriter(str(path), "gptneox")
    writer.add_name(name)
    writer.add_context_length(shape.context_length)
    writer.add_embedding_length(shape.embedding_length)
    writer.add_block_count(shape.block_count)
    writer.add_feed_forward_length(shape.feed_forward_length)
    writer.add_rope_dimension_count(shape.rotary_dimensions or head_dimension)
    writer.add_head_count(shape.head_count)
    writer.add_parallel_residual(shape.use_parallel_residual)
    writer.add_layer_norm_eps(1e-5)
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list(tokens)
    writer.add_token_types(token_types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(0)
    writer.add_eos_token_id(0)
    writer.add_unk_token_id(0)

    rng = np.random.default_rng(seed)
    matrix_type = np.float16 if float_type == "f16" else np.float32
    width = shape.embedding_length

    def matrix(rows: int, columns: int, scale: float) -> np.ndarray:
        # numpy shape (rows, columns) is ggml shape {columns, rows}.
        return (rng.standard_normal((rows, columns), dtype=np.float32) * scale).astype(matrix_type)

    def vector(size: int, value: float | None = None) -> np.ndarray:
        if value is not None:
            return np.full(size, value, dtype=np.float32)
        return rng.standard_normal(size, dtype=np.float32) * 0.02

    writer.add_tensor("token_embd.weight", matrix(vocab_size, width, weight_scale))
    writer.add_tensor("output_norm.weight", vector(width, 1.0))
    writer.add_tensor("output_norm.bias", vector(width))
    writer.add_tensor("output.weight", matrix(vocab_size, width, weight_scale))
    for block in range(shape.block_count):
        prefix = f"blk.{block}"
        writer.add_tensor(f"{prefix}.attn_norm.weight", vector(width, 1.0))
        writer.add_tensor(f"{prefix}.attn_norm.bias", vector(width))
        writer.add_tensor(f"{prefix}.attn_qkv.weight", matrix(3 * width, width, weight_scale / np.sqrt(width)))
        writer.add_tensor(f"{prefix}.attn_qkv.bias", vector(3 * width))
        writer.add_tensor(f"{prefix}.attn_output.weight", matrix(width, width, weight_scale / np.sqrt(width)))
        writer.add_tensor(f"{prefix}.attn_output.bias", vector(width))
        writer.add_tensor(f"{prefix}.ffn_norm.weight", vector(width, 1.0))
        writer.add_tensor(f"{prefix}.ffn_norm.bias", vector(width))
        writer.add_tensor(f"{prefix}.ffn_up.weight", matrix(shape.feed_forward_length, width, weight_scale / np.sqrt(width)))
        writer.add_tensor(f"{prefix}.ffn_up.bias", vector(shape.feed_forward_length))
        writer.add_tensor(f"{prefix}.ffn_down.weight", matrix(width, shape.feed_forward_length, weight_scale / np.sqrt(shape.feed_forward_length)))
        writer.add_tensor(f"{prefix}.ffn_down.bias", vector(width))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
