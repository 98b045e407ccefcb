"""`muse-desktop generate`: stream a story to stdout."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import TextIO

from muse_desktop.cli.errors import CommandError
from muse_desktop.sampling import InvalidLogitsError, MuseSettings, SamplerSettings

logger = logging.getLogger(__name__)

DEFAULTS = SamplerSettings()
DEFAULT_MUSE = MuseSettings()
DEFAULT_MAX_TOKENS = 256


def add_generate_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="continue a story and stream it to stdout",
        description=(
            "Continue PROMPT (or the text on standard input) with a local model and stream the story "
            "to stdout. The Muse damps the few most likely tokens at every step; its defaults are "
            "top_k 3, damp 0.9 and a 32-token ramp from 1.0. A summary goes to stderr."
        ),
    )
    parser.add_argument("prompt", nargs="?", help="story to continue, or the instruction with --format chat")
    parser.add_argument("--file", metavar="PATH", help="read the story to continue from a UTF-8 text file")
    parser.add_argument("--model", help="model id from 'muse-desktop models list' or a .gguf path (default: the embedded SmolLM2)")
    parser.add_argument(
        "--format", choices=("story", "chat"), default="story",
        help="story: continue the text as it is; chat: send it as an instruction in the model's chat format",
    )

    sampling = parser.add_argument_group("sampling")
    sampling.add_argument("--temperature", type=float, default=DEFAULTS.temperature, help="divides the logits; 0 is greedy (default %(default)s)")
    sampling.add_argument("--top-k", type=int, default=DEFAULTS.top_k, help="keep the K most likely tokens; 0 disables (default %(default)s)")
    sampling.add_argument("--top-p", type=float, default=DEFAULTS.top_p, help="keep the smallest set with this much probability, in (0, 1]; 1 disables (default %(default)s)")
    sampling.add_argument("--min-p", type=float, default=DEFAULTS.min_p, help="drop tokens below this fraction of the top token's probability; 0 disables (default %(default)s)")
    sampling.add_argument("--repeat-penalty", type=float, default=DEFAULTS.repeat_penalty, help="penalty for tokens seen in the last 64; 1 disables (default %(default)s)")
    sampling.add_argument("--seed", type=int, help="random seed, 0 to 2**64-1; the same seed and settings give the same text (default: random)")
    sampling.add_argument("--max-tokens", type=int, default=DEFAULT_MAX_TOKENS, help="maximum number of tokens to generate (default %(default)s)")
    sampling.add_argument("--stop", action="append", default=[], metavar="TEXT", help="also stop at TEXT; may be repeated")

    muse = parser.add_argument_group("the Muse")
    muse.add_argument("--muse-top-k", type=int, default=DEFAULT_MUSE.top_k, help="how many of the most likely tokens to damp; keep it in single digits (default %(default)s)")
    muse.add_argument("--damp", type=float, default=DEFAULT_MUSE.damp, help="factor on those logits after the ramp, like 1/temperature on them alone (default %(default)s)")
    muse.add_argument("--damp-initial", type=float, default=DEFAULT_MUSE.damp_initial, help="factor on the first generated token (default %(default)s)")
    muse.add_argument("--damp-ramp-tokens", type=int, default=DEFAULT_MUSE.damp_ramp_tokens, help="tokens over which the factor moves from --damp-initial to --damp; 0 starts at --damp (default %(default)s)")
    muse.add_argument("--no-muse", action="store_true", help="plain sampling, without the Muse")

    runtime = parser.add_argument_group("runtime")
    runtime.add_argument("--n-ctx", type=int, help="context window in tokens (default: the model's, at most 4096)")
    runtime.add_argument("--n-gpu-layers", type=int, help="layers to offload to the GPU; -1 for all, 0 for none (default: all if this build can offload)")
    runtime.add_argument("--threads", type=int, help="CPU threads (default: all available)")
    runtime.add_argument("--json", action="store_true", help="print one JSON object per token, then a summary object, one per line")
    parser.set_defaults(handler=run_generate)


def sampler_settings_from_args(args: argparse.Namespace) -> SamplerSettings:
    """Build validated sampler settings from the parsed options."""
    try:
        muse = None
        if not args.no_muse:
            muse = MuseSettings(
                top_k=args.muse_top_k,
                damp=args.damp,
                damp_initial=args.damp_initial,
                damp_ramp_tokens=args.damp_ramp_tokens,
            )
        return SamplerSettings(
            temperature=args.temperature,
            top_k=args.top_k,
            top_p=args.top_p,
            min_p=args.min_p,
            repeat_penalty=args.repeat_penalty,
            muse=muse,
            seed=args.seed,
        )
    except ValueError as error:
        raise CommandError(f"invalid option: {error}", exit_code=2) from error


def read_prompt(args: argparse.Namespace, stdin: TextIO) -> str:
    if args.file and args.prompt:
        raise CommandError("give the story either as PROMPT or with --file, not both", exit_code=2)
    if args.file:
        try:
            with open(args.file, encoding="utf-8") as handle:
                return handle.read()
        except FileNotFoundError:
            raise CommandError(f"story file not found: {args.file}") from None
        except UnicodeDecodeError:
            raise CommandError(f"story file is not UTF-8 text: {args.file}") from None
        except OSError as error:
            raise CommandError(f"cannot read story file {args.file}: {error.strerror}") from None
    if args.prompt is not None:
        return args.prompt
    if not stdin.isatty():
        return stdin.read()
    raise CommandError("nothing to continue: give a PROMPT, --file PATH, or text on standard input", exit_code=2)


def run_generate(args: argparse.Namespace, stdout: TextIO = sys.stdout, stdin: TextIO = sys.stdin) -> int:
    """Run `muse-desktop generate` and return the exit code."""
    from muse_desktop.engine import (
        GenerationRequest,
        LoadedModel,
        LoadOptions,
        ModelLoadError,
        PromptError,
        PromptFormat,
        PromptTooLongError,
    )
    from muse_desktop.models.gguf_file import InvalidGGUFError
    from muse_desktop.models.resolve import ModelNotFoundError, resolve_model_path

    settings = sampler_settings_from_args(args)
    if args.max_tokens < 1:
        raise CommandError(f"invalid option: --max-tokens must be an integer >= 1, got {args.max_tokens}", exit_code=2)
    if args.n_ctx is not None and args.n_ctx < 16:
        raise CommandError(f"invalid option: --n-ctx must be an integer >= 16, got {args.n_ctx}", exit_code=2)
    if args.threads is not None and args.threads < 1:
        raise CommandError(f"invalid option: --threads must be an integer >= 1, got {args.threads}", exit_code=2)
    if args.n_gpu_layers is not None and args.n_gpu_layers < -1:
        raise CommandError(f"invalid option: --n-gpu-layers must be -1 (all) or >= 0, got {args.n_gpu_layers}", exit_code=2)
    text = read_prompt(args, stdin)

    try:
        path = resolve_model_path(args.model)
        model = LoadedModel(path, LoadOptions(n_ctx=args.n_ctx, n_threads=args.threads, n_gpu_layers=args.n_gpu_layers))
    except (ModelNotFoundError, FileNotFoundError, InvalidGGUFError, ModelLoadError) as error:
        raise CommandError(str(error).strip("'\"")) from error

    try:
        if args.format == "chat":
            prompt = model.build_prompt(model.chat_format(), "", instruction=text)
        else:
            prompt = model.build_prompt(PromptFormat.STORY, text)
        request = GenerationRequest(prompt, settings, max_tokens=args.max_tokens, stop_strings=tuple(args.stop))
        generation = model.generate(request)
        try:
            for event in generation:
                if args.json:
                    stdout.write(json.dumps({"index": event.index, "token_id": event.token_id, "text": event.text,
                                             "damp_factor": round(event.damp_factor, 6)}) + "\n")
                else:
                    stdout.write(event.text)
                stdout.flush()
        except KeyboardInterrupt:
            generation.cancel()
            stdout.write("\n")
            logger.warning("interrupted")
            return 130
    except (PromptError, PromptTooLongError) as error:
        raise CommandError(str(error), exit_code=2) from error
    except InvalidLogitsError as error:
        raise CommandError(f"generation failed: {error}") from error
    finally:
        model.close()

    result = generation.result
    summary = {
        "finish_reason": result.finish_reason,
        "prompt_tokens": result.prompt_tokens,
        "generated_tokens": result.generated_tokens,
        "tokens_per_second": round(result.tokens_per_second, 2),
        "time_to_first_token": round(result.time_to_first_token, 4),
        "seed": result.seed,
        "model": str(path),
    }
    if args.json:
        stdout.write(json.dumps({"summary": summary}) + "\n")
    else:
        stdout.write("\n")
        print(
            f"[{result.generated_tokens} tokens, {result.tokens_per_second:.1f} tokens/s, "
            f"finish: {result.finish_reason}, seed {result.seed}]",
            file=sys.stderr,
        )
    stdout.flush()
    return 0
