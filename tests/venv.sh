# Sourced by run.sh and tests/run.sh: make .venv from tests/requirements.txt, once per
# change of that file or of tests/requirements-common.txt, which it includes.  PYTHON
# picks the interpreter (3.10 to 3.13; default python3).
ensure_venv() {
    local want have
    want=$(cat tests/requirements.txt tests/requirements-common.txt | sha256sum | cut -c1-16)
    have=$(cat .venv/.requirements 2>/dev/null || true)
    if [ -x .venv/bin/python ] && [ "$want" = "$have" ]; then
        return 0
    fi
    echo "setting up .venv from tests/requirements.txt ..." >&2
    "${PYTHON:-python3}" -m venv .venv
    .venv/bin/python -m pip install --quiet --disable-pip-version-check \
        -r tests/requirements.txt >&2
    echo "$want" >.venv/.requirements
}
