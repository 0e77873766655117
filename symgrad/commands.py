"""The ``symgrad`` commands themselves: each reads its parsed options, runs the engines and
returns the text to print (``symgrad.cli`` parses and reports).  The engines are imported when a
command runs, so that ``symgrad --help`` needs no SymPy.

>>> sorted(COMMANDS)
['derive', 'examples', 'lint', 'prove', 'report']
"""
from __future__ import annotations

import dataclasses
import json
import re
import sys
from pathlib import Path

from .base import interrupts
from .base.errors import SymgradError


def resolve_example(args):
    """The example (built-in or from a file) the options name, or None for --mlp."""
    from .specs import examples

    if "example" not in vars(args):   # read a file once per command
        given = [s for s in (args.net, args.mlp, args.spec) if s]
        if len(given) != 1:
            raise SymgradError("name one network: an example or description file NET, --mlp SIZES or --spec FILE")
        mlp_only = [f"--{o}" for o in ("activation", "bias", "objective") if getattr(args, o) is not None]
        if mlp_only and not args.mlp:
            raise SymgradError(f"{', '.join(mlp_only)} applies to --mlp only: an example or description file "
                               "defines its own layers (write your own file to change them)")
        args.example = examples.load(args.spec) if args.spec else examples.example(args.net) if args.net else None
    return args.example


def resolve_model(args):
    """The PyTorch model that NET names as ``FILE.py:FACTORY``, converted to a
    scalar network (``sg.from_torch``), or None when NET names no model."""
    if not (args.net and MODEL_TARGET.fullmatch(args.net)):
        return None
    if "imported" not in vars(args):
        given = [f"--{o.replace('_', '-')}" for o in ("init", "bias_init", "samples", "classes", "mlp", "spec",
                                                     "activation", "bias", "objective")
                 if getattr(args, o, None) is not None]
        if given:
            raise SymgradError(f"{', '.join(given)} applies to networks, not to a PyTorch model: its layers, "
                               "initialisation and objective are the ones its factory made")
        from .tensor.command import build
        from .tensor.convert import from_torch

        model, inputs, loss, targets = build(_needs_torch(args.net))
        args.imported = from_torch(model, inputs, loss, targets, name=args.net)
    return args.imported


def _needs_torch(target: str) -> str:
    try:
        import torch  # noqa: F401  (an optional extra)
    except ImportError:
        raise SymgradError(f"{target} is a PyTorch model: symgrad needs PyTorch for it "
                           "(pip install 'symgrad[torch]')") from None
    return target


def resolve_network(args):
    """The network the options describe (exactly one source)."""
    from .model.graph import Network
    from .base.progress import note

    imported = resolve_model(args)
    if imported is not None:
        return imported.network
    example = resolve_example(args)
    if example is not None:
        return example.build()
    try:
        sizes = [int(s) for s in args.mlp.split(",")]
    except ValueError:
        raise SymgradError(f"--mlp takes comma-separated unit counts such as 3,4,1, got {args.mlp!r}") from None
    if len(sizes) > 1 and min(sizes) > 0:
        note(f"building an MLP {'-'.join(map(str, sizes))} "
             f"({sum(a * b for a, b in zip(sizes, sizes[1:])):,} weights)")
    return Network.mlp(sizes, activation=args.activation or "identity", bias=bool(args.bias),
                       objective=args.objective or "output")


def cmd_examples(args) -> str:
    from .specs.examples import REGISTRY

    if args.json:
        return json.dumps({name: ex.summary for name, ex in REGISTRY.items()}, indent=2)
    width = max(map(len, REGISTRY))
    return "\n".join(f"{name:<{width}}  {ex.summary}" for name, ex in REGISTRY.items())


def cmd_derive(args) -> str:
    from .maths.derivation import derive
    from .present.export import derivation_dict
    from .model.size import check_size

    net = resolve_network(args)
    check_size(net, args.max_size)
    d = derive(net)
    return json.dumps(derivation_dict(d), indent=2) if args.json else str(d)


def resolve_question(args):
    """The network, initialisation and data a proof or report is about: the
    example's first scenario (its network, init and data), with the command
    line's --init, --bias-init, --samples and --classes in their place."""
    from .model import constraints
    from .specs.description import with_symbols

    imported = resolve_model(args)
    if imported is not None:
        return imported.network, imported.init, None
    example = resolve_example(args)
    scenario = example.scenarios[0] if example else None
    net = scenario.network() if scenario and scenario.network else resolve_network(args)
    data = resolve_data(args, net)
    if data is None and scenario and scenario.data:
        data = scenario.data(net)
    symbols = example.symbols if example else {}
    init = scenario.init if scenario else constraints.Constant("a")
    if args.init is not None:
        init = with_symbols(constraints.parse(args.init), symbols, net)
    if args.bias_init is not None:
        init = dataclasses.replace(init, biases=with_symbols(constraints.parse(args.bias_init), symbols, net))
    return net, init, data


def resolve_data(args, net):
    """The samples the options ask for (None: none asked for)."""
    from .model.data import generic, one_hot
    from .base.limits import MAX_SAMPLES
    from .model.size import check_sample_count

    if args.samples is not None and args.classes is not None:
        raise SymgradError("give --samples or --classes, not both")
    if args.samples is not None:
        if not 1 <= args.samples <= MAX_SAMPLES:
            raise SymgradError(f"--samples must be from 1 to {MAX_SAMPLES:,}, got {args.samples}")
        return generic(net, check_sample_count(net, args.samples))
    if args.classes is not None:
        try:
            classes = [int(c) for c in args.classes.split(",")]
        except ValueError:
            raise SymgradError(f"--classes takes class numbers such as 1,2,3, got {args.classes!r}") from None
        if len(classes) > MAX_SAMPLES:
            raise SymgradError(f"--classes: at most {MAX_SAMPLES:,} samples, got {len(classes):,}")
        check_sample_count(net, len(classes))
        return one_hot(net, classes)
    return None


WIDTH_LIMIT = 2_000_000  # parameters beyond which effective widths are not computed


def cmd_prove(args) -> str:
    from .present.export import json_chunks, proof_dict
    from .present.phrases import SUMMARY_LIMIT
    from .present.printing import proof_summary, proof_text
    from .base.progress import note
    from .dynamics.quotients import effective_width
    from .proofs.symmetry import prove

    net, init, data = resolve_question(args)
    proof = prove(net, init, engine=args.engine, data=data, max_size=args.max_size)
    note("effective widths and the proof's text")
    widths = effective_width(proof) if net.parameter_count <= WIDTH_LIMIT else None
    if args.json:
        return json_chunks(proof_dict(proof, widths))
    if net.parameter_count > SUMMARY_LIMIT and not args.full:
        return proof_summary(proof, widths)
    return proof_text(proof, widths)


def cmd_lint(args) -> tuple[str, int]:
    """Lint a PyTorch model; exit status 1 when there are findings, as linters do."""
    result = lint_target(args.target, args.init)
    text = json.dumps(result.to_json(), indent=2) if args.json else str(result)
    return text, 0 if result.ok else 1


def lint_target(target: str, init=None):
    """The lint result of the model that ``FILE.py:FACTORY`` builds (its starts
    stated by the rules ``init``, if any)."""
    from .tensor.command import build
    from .tensor.lint import lint

    model, inputs, loss, targets = build(_needs_torch(target))
    return lint(model, inputs, loss, targets, name=target, init=init)


MODEL_TARGET = re.compile(r".+\.py(:[A-Za-z_][A-Za-z0-9_]*)?")   # FILE.py:FACTORY, a PyTorch model to lint


def cmd_report_lint(args) -> tuple[str, int]:
    """``symgrad report FILE.py:FACTORY -o lint.pdf``: the lint verdicts as a
    report (exit status 0 once written, whatever the verdicts; ``symgrad lint``
    is the command whose status says whether something was found)."""
    from .report import write_report
    from .report.lint_context import lint_context

    rules = [r for r in (args.init or "").split(";") if r.strip()]
    if rules and not all("=" in r for r in rules):
        raise SymgradError(f"--init {args.init!r}: for a PyTorch model, state starts as PATTERN=SPEC rules "
                           f"separated by ';' (such as '*.lora_B.weight=0;blocks.1-3=copy of blocks.0')")
    given = [f"--{o.replace('_', '-')}" for o in ("bias_init", "samples", "classes", "mlp", "spec")
             if getattr(args, o) is not None] + (["--steps"] if args.steps else [])
    if given:
        raise SymgradError(f"{', '.join(given)} applies to networks, not to a PyTorch model: state its "
                           "starts with --init PATTERN=SPEC")
    written = write_report(lint_context(lint_target(args.net, rules or None)), args.output)
    text = json.dumps({"report": str(written), "model": args.net}, indent=2) if args.json else f"wrote {written}"
    return text, 0


def show_progress(message: str) -> None:
    """A progress line for a person watching."""
    print(f"symgrad: {message}", file=sys.stderr, flush=True)


def cmd_report(args) -> str:
    from .base.limits import MAX_STEPS
    from .model.size import check_report_size, check_size
    from .base.progress import note
    from .report import write_report
    from .report.compile import check_target
    from .report.content import example_context, network_context

    check_target(Path(args.output))                 # before any work: a folder, a path under a file
    if args.net and MODEL_TARGET.fullmatch(args.net) and not args.scalar:
        return cmd_report_lint(args)
    if not 0 <= args.steps <= MAX_STEPS:
        raise SymgradError(f"--steps must be from 0 to {MAX_STEPS} (unrolled expressions grow fast with the steps), "
                           f"got {args.steps}")
    custom = args.init or args.bias_init or args.samples or args.classes or args.steps or args.engine != "algebraic"
    example = resolve_example(args) if resolve_model(args) is None else None
    net, init, data = resolve_question(args)
    check_size(net, args.max_size)
    check_report_size(net)
    interrupts.checkpoint("deriving")
    note(f"the report {args.output}: deriving and proving")
    if example and not custom:
        context = example_context(example)
    else:
        context = network_context(net, init, data, steps=args.steps, engine=args.engine)
    written = write_report(context, args.output)
    if args.json:
        return json.dumps({"report": str(written), "network": net.name, "engine": args.engine}, indent=2)
    return f"wrote {written}"


COMMANDS = {"examples": cmd_examples, "derive": cmd_derive, "prove": cmd_prove, "report": cmd_report,
            "lint": cmd_lint}
