"""Shared by the python generators and anchors in Scripts/: run the calling script inside its own
virtual environment with pinned PyPI packages, creating the environment on first use.

    from pyvenv import reexec_in_venv          # after putting Scripts/ on sys.path
    reexec_in_venv(VENV, PINS, __file__)       # returns only when already inside VENV
"""
import os
import subprocess
import sys


def reexec_in_venv(venv, pins, script):
    """Re-executes `script` (with this process's arguments) inside `venv` with `pins` installed,
    unless this interpreter already is that environment's."""
    if os.path.realpath(sys.prefix) == os.path.realpath(venv):
        return
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        subprocess.check_call([sys.executable, "-m", "venv", venv])
    subprocess.check_call([py, "-m", "pip", "install", "-q", *pins])
    os.execv(py, [py, os.path.abspath(script), *sys.argv[1:]])
