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
    muse.add_argument("--muse-top-k", type=int, default=DEFAULT_MUSE.top_k, help="how many of the most likely tokens to damp, an integer >= 1 (turn the Muse off with --no-muse); keep it in single digits (default %(default)s)")
    muse.add_argument("--damp", type=float, default=DEFAULT_MUSE.damp, help="factor >= 0 on those logits after the ramp, like 1/temperature on them alone; 1 leaves them unchanged (default %(default)s)")
    muse.add_argument("--damp-initial", type=float, default=DEFAULT_MUSE.damp_initial, help="factor >= 0 on the first generated token (default %(default)s)")
    muse.add_argument("--damp-ramp-tokens", type=int, default=DEFAULT_MUSE.damp_ramp_tokens, help="tokens over which the factor moves from --damp-initial to --damp; 0 starts at --damp (default %(default)s)")
    muse.add_argument("--no-muse", action="store_true", help="plain sampling, without the Muse")

    runtime = parser.add_argument_group("runtime")
    runtime.add_argument("--n-ctx", type=int, help="context window in tokens (default: the model's, at most 4096)")
    runtime.add_argument("--n-gpu-layers", type=int, help="layers to offload to the GPU; -1 for all, 0 for none (default: all if this build can offload)")
    runtime.add_argument("--threads", type=int, help="CPU threads (default: all available)")
    runtime.add_argument(
        "--flash-attention", action="store_true",
        help="use llama.cpp's flash attention kernel (default: off). It changes the logits slightly, so a seed "
        "gives different text with it on; on the CPU it was faster for short stories with SmolLM2 and twice as slow "
        "per token at 1,900 tokens of context with a RedPajama-sized model",
    )
    runtime.add_argument("--json", action="store_true", help="print one JSON object per token, then a summary object, one per line, all on stdout (without it the summary goes to stderr)")
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
    from muse_desktop.engine import GenerationRequest, PromptError, PromptFormat, PromptTooLongError

    settings = sampler_settings_from_args(args)
    check_runtime_options(args)
    text = read_prompt(args, stdin)
    model = load_model(args)
    try:
        if args.format == "chat":
            prompt = model.build_prompt(model.chat_format(), "", instruction=text)
        else:
            prompt = model.build_prompt(PromptFormat.STORY, text)
        request = GenerationRequest(prompt, settings, max_tokens=args.max_tokens, stop_strings=tuple(args.stop))
        generation = model.generate(request)
        try:
            stream_events(generation, stdout, as_json=args.json)
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

    write_summary(generation.result, str(model.path), stdout, as_json=args.json)
    return 0


def check_runtime_options(args: argparse.Namespace) -> None:
    checks = [
        ("--max-tokens", args.max_tokens, args.max_tokens >= 1, "an integer >= 1"),
        ("--n-ctx", args.n_ctx, args.n_ctx is None or args.n_ctx >= 16, "an integer >= 16"),
        ("--threads", args.threads, args.threads is None or args.threads >= 1, "an integer >= 1"),
        ("--n-gpu-layers", args.n_gpu_layers, args.n_gpu_layers is None or args.n_gpu_layers >= -1, "-1 (all) or >= 0"),
    ]
    for option, value, valid, allowed in checks:
        if not valid:
            raise CommandError(f"invalid option: {option} must be {allowed}, got {value}", exit_code=2)


def load_model(args: argparse.Namespace):
    """Resolve --model and load it, turning every failure into one CommandError line."""
    from muse_desktop.engine import LoadedModel, LoadOptions, ModelLoadError
    from muse_desktop.models.gguf_file import InvalidGGUFError
    from muse_desktop.models.resolve import ModelNotFoundError, resolve_model_path

    try:
        path = resolve_model_path(args.model)
        options = LoadOptions(
            n_ctx=args.n_ctx, n_threads=args.threads, n_gpu_layers=args.n_gpu_layers, flash_attention=args.flash_attention
        )
        return LoadedModel(path, options)
    except (ModelNotFoundError, FileNotFoundError, InvalidGGUFError, ModelLoadError) as error:
        raise CommandError(str(error).strip("'\"")) from error


def stream_events(generation, stdout: TextIO, *, as_json: bool) -> None:
    for event in generation:
        if as_json:
            line = {"index": event.index, "token_id": event.token_id, "text": event.text,
                    "damp_factor": round(event.damp_factor, 6)}
            stdout.write(json.dumps(line) + "\n")
        else:
            stdout.write(event.text)
        stdout.flush()


def write_summary(result, model_path: str, stdout: TextIO, *, as_json: bool) -> None:
    """Write the result as a JSON line on stdout, or as one bracketed line on stderr."""
    if as_json:
        summary = {
            "finish_reason": result.finish_reason,
            "prompt_tokens": result.prompt_tokens,
            "generated_tokens": result.generated_tokens,
            "tokens_per_second": round(result.tokens_per_second, 2),
            "time_to_first_token": round(result.time_to_first_token, 4),
            "seed": result.seed,
            "model": model_path,
        }
        stdout.write(json.dumps({"summary": summary}) + "\n")
    else:
        stdout.write("\n")
        print(
            f"[{result.generated_tokens} tokens, {result.tokens_per_second:.1f} tokens/s, "
            f"finish: {result.finish_reason}, seed {result.seed}]",
            file=sys.stderr,
        )
    stdout.flush()
