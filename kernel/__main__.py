"""`python -m jetlag.kernel -f CONNECTION_FILE` starts the PhySL kernel (what kernel.json runs);
`python -m jetlag.kernel install [...]` installs its kernelspec (see install.py)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Start the kernel, or run the `install` subcommand."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["install"]:
        from jetlag.kernel.install import main as install_main

        return install_main(argv[1:])
    from ipykernel.kernelapp import IPKernelApp

    from jetlag.kernel.kernel import PhySLKernel

    IPKernelApp.launch_instance(argv=argv, kernel_class=PhySLKernel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
