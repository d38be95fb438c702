# Sourced by scripts/install, start and test: the project's virtual environment.
# Creates .venv (git-ignored) with the `python3` on PATH when it is missing or broken, and
# puts it first on PATH, so every later `python3`, `pip`, `jupyter` and `jlpm` is the
# project's own (PEP 668 systems refuse installs into the system Python; this never needs
# one). JETLAG_VENV names another folder.
venv="${JETLAG_VENV:-$(pwd)/.venv}"
if ! "$venv/bin/python3" -m pip --version >/dev/null 2>&1; then
  rm -rf "$venv"
  python3 -m venv "$venv"
fi
export VIRTUAL_ENV="$venv"
export PATH="$venv/bin:$PATH"
