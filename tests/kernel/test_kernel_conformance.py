"""The jupyter_kernel_test conformance suite against the installed `physl` kernel.

Covers kernel_info, execute (stdout, stderr, results, display data, clear output),
errors, completion, inspection, the pager, history and is_complete. The suite starts its
own kernel from the kernelspec `pip install -e .` installed.
"""

from __future__ import annotations

import jupyter_kernel_test
import pytest


@pytest.mark.usefixtures("physl_kernelspec")
class TestPhySLKernelConformance(jupyter_kernel_test.KernelTests):
    kernel_name = "physl"
    language_name = "python"
    file_extension = ".py"

    code_hello_world = "print('hello, world')"
    code_stderr = "import sys; print('test', file=sys.stderr)"
    code_generate_error = "raise ValueError('boom')"
    code_page_something = "print?"
    code_clear_output = "from IPython.display import clear_output; clear_output()"
    code_display_data = [
        {
            "code": "from IPython.display import HTML, display; display(HTML('<b>t</b>'))",
            "mime": "text/html",
        },
    ]
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        # compiled: a run of top-level array code (plus its published trace)
        {"code": "import numpy as np\nnp.sum(np.arange(4.0)) * 2", "result": "np.float64(12.0)"},
    ]
    code_history_pattern = "6 * ?"
    supported_history_operations = ("tail", "range", "search")

    completion_samples = [
        {"text": "zi", "matches": {"zip"}},
        {"text": "%%physl\ntranspo", "matches": {"transpose"}},
    ]
    complete_code_samples = ["1", "print('hello, world')", "def f(x):\n    return x\n\n"]
    incomplete_code_samples = ["print('''hello", "for i in range(3):"]
    invalid_code_samples = ["import = 7q"]

    code_inspect_sample = "abs"
