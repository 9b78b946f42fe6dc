"""Offline stand-in for pip's get-pip.py, which ansible-test downloads from a host CI cannot reach.

ansible-test runs it (as get_pip_24_2.py from its cache) to put pip into each sanity virtualenv, passing pip's
install arguments. Python's bundled ensurepip does the bootstrap; pip then installs the requested versions
from the configured package index.
"""
import subprocess
import sys

# get-pip.py's own switches; pip install does not know them.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--upgrade"] + args))
