#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks that the API reference builds clean from the public headers.

Runs Doxygen with a build's docs/Doxyfile (configured from
docs/Doxyfile.in, as the docs target runs it) into a scratch directory,
its warnings going to a log, and fails when:
1. Doxygen fails or the log is not empty: an undocumented public function,
   struct, field, macro or typedef, a @param that names no parameter, an
   unknown command or HTML tag;
2. an enumerator has no documentation, which Doxygen 1.9 lets pass
   silently: read off the XML it writes for this check;
3. a man page has a line that troff would take for a request and drop
   (Doxygen writes a '"' as "'", and a line may start with it).

Usage: scripts/check-api-docs.py DOXYGEN BUILD_DIR/docs/Doxyfile SCRATCH_DIR
"""
import pathlib
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET


def run_doxygen(doxygen, doxyfile, scratch):
    """Doxygen's exit status and its warnings (the log, then stderr)."""
    log = scratch / "warnings.log"
    config = scratch / "Doxyfile"
    config.write_text(f'@INCLUDE = "{doxyfile}"\n'
                      f'OUTPUT_DIRECTORY = "{scratch / "api"}"\n'
                      f'WARN_LOGFILE = "{log}"\n'
                      "GENERATE_XML = YES\n"
                      "XML_PROGRAMLISTING = NO\n")
    done = subprocess.run([doxygen, str(config)], capture_output=True,
                          text=True)
    text = log.read_text() if log.exists() else ""
    return done.returncode, (text + done.stderr + done.stdout).strip()


def text_of(element):
    return "".join(element.itertext()).strip() if element is not None else ""


def undocumented_enumerators(xml_dir):
    found = []
    for path in sorted(xml_dir.glob("*.xml")):
        root = ET.parse(path).getroot()
        for enum in root.iter("memberdef"):
            if enum.get("kind") != "enum":
                continue
            where = enum.find("location")
            at = f"{where.get('file')}:{where.get('line')}" if where is not None else path.name
            for value in enum.iter("enumvalue"):
                if not (text_of(value.find("briefdescription")) or
                        text_of(value.find("detaileddescription"))):
                    found.append(f"{at}: enumerator {text_of(value.find('name'))} "
                                 f"of enum {text_of(enum.find('name'))} is not "
                                 "documented")
    return sorted(set(found))


def troff_requests(man_dir):
    found = []
    for page in sorted(man_dir.glob("*.3")):
        for n, line in enumerate(page.read_text().splitlines(), 1):
            if line.startswith("'"):
                found.append(f"{page.name}:{n}: a line starts with ' "
                             f"(troff drops it): {line[:60]}")
    return found


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    doxygen, doxyfile = sys.argv[1], pathlib.Path(sys.argv[2]).resolve()
    scratch = pathlib.Path(sys.argv[3]).resolve()
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    status, warnings = run_doxygen(doxygen, doxyfile, scratch)
    problems = list(dict.fromkeys(warnings.splitlines()))  # each once
    if status != 0 and not problems:
        problems.append(f"doxygen exited with {status}")
    api = scratch / "api"
    if not (api / "html" / "index.html").exists() or \
            not (api / "man" / "man3" / "rafthttp.h.3").exists():
        problems.append(f"no HTML or man pages under {api}")
    else:
        problems += undocumented_enumerators(api / "xml")
        problems += troff_requests(api / "man" / "man3")
    if problems:
        print("check-api-docs: every public symbol of include/rafthttp.h and "
              "rafthttp/version.h needs a /** */ comment (docs/Doxyfile.in):")
        for line in problems:
            print("  " + line)
        sys.exit(1)
    print(f"check-api-docs: ok, no warnings; the reference is in {api}")


if __name__ == "__main__":
    main()
