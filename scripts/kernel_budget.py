#!/usr/bin/env python3
"""Registers and spills of every training kernel, without a GPU.

Compiles kernels/train_kernels.cu for one architecture (default sm_90, the
H200's) with `ptxas -v` and prints, per kernel variant, the registers per
thread, the stack frame and the bytes spilled. Occupancy, and so how well a
kernel hides the latency of a step, follows from the registers: at 128
threads per block an H100/H200 SM holds 65536 / (128 * registers) blocks.

  scripts/kernel_budget.py                 # the table
  scripts/kernel_budget.py --check         # also hold the budgets below; exit 1 if one is broken

Where cuobjdump is found (PATH or $CUOBJDUMP; it is not part of every CUDA
install, NVIDIA publishes it on PyPI as nvidia-cuda-cuobjdump with
nvidia-cuda-nvdisasm beside it), a last column gives each kernel's SASS
instructions: all of its code, every path, not the instructions one step runs.

The budgets (BUDGETS below) are what the kernels reach today, so a change
that costs registers or brings back a spill fails the check
(tests/CMakeLists.txt runs it when nvcc is found). Lower them as the kernels
improve.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPTIMIZERS = ["sgd", "momentum", "adam"]
ACTIVATIONS = ["sigmoid", "tanh", "relu", "identity"]

# (kernel, math, shape, kind) -> (most registers, most bytes spilled): the
# seed sweep's kernel and xor's, and the 4-8-3 one, with plain gradient
# descent and sigmoid units. The other kernels are printed, not budgeted.
BUDGETS = {
    ("fused", "precise", "2-2-2", "sgd/sigmoid/sigmoid"): (56, 0),
    ("fused", "fast", "2-2-2", "sgd/sigmoid/sigmoid"): (64, 0),
    ("fused", "precise", "2-2-1", "sgd/sigmoid/sigmoid"): (62, 0),
    ("fused", "fast", "2-2-1", "sgd/sigmoid/sigmoid"): (56, 0),
    ("fused", "precise", "4-8-3", "sgd/sigmoid/sigmoid"): (255, 0),
    ("fused", "fast", "4-8-3", "sgd/sigmoid/sigmoid"): (255, 0),
    ("fused_tiled", "precise", "2-3-1", "sgd/sigmoid/sigmoid"): (64, 0),
}


def find_nvcc(given):
    for candidate in [given, shutil.which("nvcc"), "/usr/local/cuda/bin/nvcc"]:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def compile_report(nvcc, arch, workdir):
    cmd = [nvcc, "-I" + os.path.join(ROOT, "include"), "-I" + ROOT, "-O3", "-DNDEBUG", "-std=c++17",
           "-arch=" + arch, "-cubin", "-Xptxas", "-v", "-o", os.path.join(workdir, "train_kernels.cubin"),
           "-x", "cu", os.path.join(ROOT, "kernels", "train_kernels.cu")]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit("kernel_budget: nvcc failed")
    return done.stdout + done.stderr


def sass_sizes(cubin):
    """Instructions per kernel (mangled name) in the cubin, or {} without cuobjdump."""
    tool = os.environ.get("CUOBJDUMP") or shutil.which("cuobjdump")
    if not tool:
        return {}
    done = subprocess.run([tool, "-sass", cubin], capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write("kernel_budget: cuobjdump -sass failed; no SASS column\n" + done.stderr)
        return {}
    sizes, name = {}, None
    for line in done.stdout.splitlines():
        m = re.search(r"Function : (\S+)", line)
        if m:
            name = m.group(1)
            sizes[name] = 0
        elif name and re.match(r"\s+/\*[0-9a-f]{4,}\*/\s+[A-Z@]", line):
            sizes[name] += 1
    return sizes


def demangle(names):
    done = subprocess.run(["c++filt"], input="\n".join(names), capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


def describe(demangled):
    """(kernel, math, shape, kind) of a demangled kernel name."""
    m = re.search(r"::(\w+)_kernel<(.*)>\(", demangled)
    if not m:
        return None
    kernel = m.group(1).replace("train_", "")
    args = m.group(2)
    math = "fast" if "FastMath" in args else "precise"
    shape = "-".join(re.findall(r"(?:^|, )(\d+)(?=,|$)", args))
    kind = "any"
    k = re.search(r"FixedKind<\(manynets::Optimizer\)(\d), \(manynets::Activation\)(\d), "
                  r"\(manynets::Activation\)(\d)>", args)
    if k:
        kind = "/".join([OPTIMIZERS[int(k.group(1))], ACTIVATIONS[int(k.group(2))],
                         ACTIVATIONS[int(k.group(3))]])
    elif "AnyKind" not in args:
        kind = "-"
    return kernel, math, shape, kind


def parse(report, sizes):
    entries, name = [], None
    stack = spill = 0
    for line in report.splitlines():
        m = re.search(r"Compiling entry function '([^']+)'", line)
        if m:
            name = m.group(1)
        m = re.search(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads", line)
        if m:
            stack, spill = int(m.group(1)), int(m.group(2)) + int(m.group(3))
        m = re.search(r"Used (\d+) registers", line)
        if m and name:
            entries.append([name, int(m.group(1)), stack, spill, sizes.get(name)])
            name, stack, spill = None, 0, 0
    for entry, plain in zip(entries, demangle([e[0] for e in entries])):
        entry[0] = describe(plain)
    return [e for e in entries if e[0]]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nvcc", help="nvcc to compile with (default: PATH, then /usr/local/cuda/bin)")
    parser.add_argument("--arch", default="sm_90")
    parser.add_argument("--check", action="store_true", help="exit 1 when a budget is broken")
    args = parser.parse_args()
    nvcc = find_nvcc(args.nvcc)
    if nvcc is None:
        raise SystemExit("kernel_budget: no nvcc (give --nvcc PATH)")
    with tempfile.TemporaryDirectory() as work:
        report = compile_report(nvcc, args.arch, work)
        entries = parse(report, sass_sizes(os.path.join(work, "train_kernels.cubin")))
    if not entries:
        raise SystemExit("kernel_budget: ptxas reported no kernels")

    with_sass = any(e[4] is not None for e in entries)
    print(f"{'kernel':<16} {'math':<8} {'shape':<6} {'kind':<25} {'registers':>9} {'stack':>6} {'spilled':>8}"
          + (f" {'sass':>6}" if with_sass else ""))
    for (kernel, math, shape, kind), regs, stack, spill, sass in sorted(entries):
        print(f"{kernel:<16} {math:<8} {shape:<6} {kind:<25} {regs:>9} {stack:>6} {spill:>8}"
              + (f" {sass if sass is not None else '-':>6}" if with_sass else ""))

    broken = []
    found = {e[0]: e for e in entries}
    for key, (most_registers, most_spilled) in BUDGETS.items():
        if key not in found:
            broken.append(f"{' '.join(key)}: not compiled")
            continue
        _, regs, _, spill, _ = found[key]
        if regs > most_registers or spill > most_spilled:
            broken.append(f"{' '.join(key)}: {regs} registers and {spill} bytes spilled, "
                          f"budget {most_registers} and {most_spilled}")
    for line in broken:
        print("over budget: " + line)
    if args.check:
        print(f"kernel_budget: {len(entries)} kernels for {args.arch}, "
              f"{'budgets held' if not broken else str(len(broken)) + ' over budget'}")
        return 1 if broken else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
