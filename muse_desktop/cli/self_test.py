"""`muse-desktop --self-test`: check that this installation or frozen build has every part it needs.

The checks run in the order a failure is easiest to explain: the llama.cpp library, the Qt platform
plugin, the embedded model file, and finally a short generation with the Muse on. The first
failure stops the test with one line that names the missing part.
"""

from __future__ import annotations

import logging
import os
import platform
import re
import sys
from pathlib import Path
from typing import TextIO

from muse_desktop import __version__
from muse_desktop.cli.errors import CommandError
from muse_desktop.cli.qt_check import QtCheckError, check_qt_platform

logger = logging.getLogger(__name__)

SELF_TEST_TOKENS = 16
SELF_TEST_SEED = 20240611
SELF_TEST_PROMPT = "The lighthouse keeper found a letter in the sand. It was addressed to her, and"
# A small context keeps the KV cache, and so the test's memory use, small.
SELF_TEST_N_CTX = 512


class SelfTestFailure(Exception):
    """A part of the installation that is missing or broken, described in one line."""


def run_self_test(args: object = None, stdout: TextIO = sys.stdout) -> int:
    """Run every check, print one line per check to ``stdout`` and return 0.

    Raises CommandError (exit code 1) with the first failure's message.
    """
    frozen = getattr(sys, "frozen", False)
    build = "frozen build" if frozen else f"Python {platform.python_version()}"
    stdout.write(f"muse-desktop {__version__} self-test ({build}, {sys.platform}-{platform.machine()})\n")
    try:
        _report(stdout, "llama.cpp", check_llama_library())
        _report(stdout, "Qt", check_qt())
        model_path = find_embedded_model()
        _report(stdout, "model", describe_model(model_path))
        _report(stdout, "generation", check_generation(model_path))
    except SelfTestFailure as failure:
        raise CommandError(f"self-test failed: {failure}") from failure
    stdout.write("self-test passed\n")
    stdout.flush()
    return 0


def _report(stdout: TextIO, name: str, detail: str) -> None:
    stdout.write(f"  {name:<11} {detail}\n")
    stdout.flush()


def check_llama_library() -> str:
    """Load llama.cpp through llama-cpp-python and describe its backend."""
    try:
        from muse_desktop.engine import build_info
        from muse_desktop.engine.backend import load_dynamic_backends

        backend_count = load_dynamic_backends()
        build = build_info()
    except (ImportError, OSError, RuntimeError) as error:
        # llama-cpp-python raises RuntimeError or FileNotFoundError when libllama or a
        # library it needs is missing; the message names the file.
        raise SelfTestFailure(
            f"the llama.cpp library could not be loaded: {error}. "
            "Reinstall Muse Desktop, or for a source checkout run 'make install'"
        ) from error

    if backend_count == 0:
        raise SelfTestFailure(
            "the llama.cpp library has no backend: no backend library such as libggml-cpu-haswell.so "
            "was found next to libllama. Reinstall Muse Desktop"
        )
    detail = f"llama-cpp-python {build.llama_cpp_python_version}, backend {build.backend}"
    variant = loaded_cpu_variant()
    if variant:
        detail += f" (CPU variant {variant})"
    features = cpu_features(build.system_info)
    if features:
        detail += f", CPU backend features {' '.join(features)}"
    return detail


def loaded_cpu_variant(maps_path: str = "/proc/self/maps") -> str | None:
    """Return the CPU variant that a GGML_CPU_ALL_VARIANTS build loaded, for example "haswell".

    Reads the process's memory map, so it works on Linux only, and returns None elsewhere or
    for a build with the CPU code linked in.
    """
    try:
        with open(maps_path, encoding="utf-8", errors="replace") as maps:
            for line in maps:
                match = re.search(r"libggml-cpu-([\w.-]+?)\.so", line)
                if match:
                    return match.group(1)
    except OSError:
        return None
    return None


def cpu_features(system_info: str) -> list[str]:
    """Return the features that llama.cpp's CPU backend reports as enabled, for example ["AVX2", "FMA"].

    ``system_info`` is llama_print_system_info()'s output: "CPU : SSE3 = 1 | AVX = 1 | ... |".
    """
    features = []
    for field in system_info.split("|"):
        name, separator, value = field.rpartition("=")
        name = name.split(":")[-1].strip()
        if separator and value.strip() == "1" and name:
            features.append(name)
    return features


def check_qt() -> str:
    """Load the Qt platform plugin that the app would use and start a QApplication on it."""
    try:
        return check_qt_platform()
    except QtCheckError as error:
        raise SelfTestFailure(str(error)) from error


def find_embedded_model() -> Path:
    """Return the embedded model's path after checking that it is a readable GGUF file."""
    from muse_desktop.models.embedded import EmbeddedModelMissingError, embedded_model_path
    from muse_desktop.models.gguf_file import InvalidGGUFError, read_gguf_header

    try:
        path = embedded_model_path()
    except EmbeddedModelMissingError as error:
        raise SelfTestFailure(str(error)) from error
    try:
        read_gguf_header(path)
    except InvalidGGUFError as error:
        raise SelfTestFailure(f"the embedded model file {path} is damaged: {error}") from error
    except OSError as error:
        raise SelfTestFailure(f"the embedded model file {path} cannot be read: {error.strerror}") from error
    return path


def describe_model(path: Path) -> str:
    size_mb = os.path.getsize(path) / 1e6
    return f"{path} ({size_mb:.1f} MB)"


def check_generation(model_path: Path) -> str:
    """Load the model, generate SELF_TEST_TOKENS tokens with the Muse on and report the speed."""
    from muse_desktop.engine import GenerationRequest, LoadedModel, LoadOptions, ModelLoadError, PromptFormat
    from muse_desktop.sampling import InvalidLogitsError, MuseSettings, SamplerSettings

    try:
        model = LoadedModel(model_path, LoadOptions(n_ctx=SELF_TEST_N_CTX))
    except ModelLoadError as error:
        raise SelfTestFailure(str(error)) from error

    settings = SamplerSettings(muse=MuseSettings(), seed=SELF_TEST_SEED)
    try:
        prompt = model.build_prompt(PromptFormat.STORY, SELF_TEST_PROMPT)
        generation = model.generate(GenerationRequest(prompt, settings, max_tokens=SELF_TEST_TOKENS))
        damp_factors = [event.damp_factor for event in generation]
    except InvalidLogitsError as error:
        raise SelfTestFailure(f"generation failed: {error}") from error
    finally:
        model.close()

    result = generation.result
    if result.generated_tokens == 0:
        raise SelfTestFailure(f"generation produced no tokens (finish reason: {result.finish_reason})")
    detail = (
        f"{result.generated_tokens} tokens with the Muse (damp factor {damp_factors[0]:.3f} to "
        f"{damp_factors[-1]:.3f}), {result.tokens_per_second:.1f} tokens/s on {model.info.backend}, "
        f"finish reason {result.finish_reason}"
    )
    if model.info.offload_failed:
        detail += " (GPU offload failed, so the CPU was used)"
    logger.info("self-test text: %r", result.text)
    return detail
