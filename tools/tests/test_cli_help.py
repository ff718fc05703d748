"""Every runnable tools module (one with a `__main__` block) is an argparse CLI: `--help` exits 0 and prints a
usage line, and an unknown option exits 2 with a message (issue: "argparse CLIs with --help for every tool")."""
import os
import subprocess
import sys
import unittest

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKG = os.path.join(TOOLS, "tinyq_tools")


def runnable_modules():
    out = []
    for name in sorted(os.listdir(PKG)):
        if name.endswith(".py") and name != "__init__.py":
            with open(os.path.join(PKG, name)) as f:
                if '__name__ == "__main__"' in f.read():
                    out.append(name[:-3])
    return out


class CliHelp(unittest.TestCase):
    def test_modules_found(self):
        mods = runnable_modules()
        for expected in ("train", "eval", "eval_cpp", "calibrate", "threshold", "weights_file", "report", "missed"):
            self.assertIn(expected, mods)

    def test_every_module_has_help(self):
        for mod in runnable_modules():
            with self.subTest(module=mod):
                p = subprocess.run([sys.executable, "-m", "tinyq_tools." + mod, "--help"], cwd=TOOLS,
                                   capture_output=True, text=True, timeout=120)
                self.assertEqual(p.returncode, 0, p.stderr[-2000:])
                self.assertIn("usage:", p.stdout)

    def test_unknown_option_is_an_error(self):
        for mod in ("report", "threshold", "missed"):
            with self.subTest(module=mod):
                p = subprocess.run([sys.executable, "-m", "tinyq_tools." + mod, "--no-such-option"], cwd=TOOLS,
                                   capture_output=True, text=True, timeout=120)
                self.assertEqual(p.returncode, 2)
                self.assertIn("error:", p.stderr)


if __name__ == "__main__":
    unittest.main()
