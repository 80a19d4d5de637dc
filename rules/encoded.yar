// SPDX-License-Identifier: Apache-2.0
// Copyright (c) 2026 The mscan authors
// Code hidden in base64 or hex inside pickle constants, and pickles that decode and run it.
// YARA's base64 modifier matches the three alignments of a base64 encoding; the pickle
// machine also passes decoded constants as kind "pickle-strings", where the other rules apply.

rule base64_encoded_code
{
	meta:
		id = "MS-YARA-base64_encoded_code"
		severity = "high"
		description = "base64 text that decodes to code (import os, subprocess, exec(, /bin/sh)"
		reference = "https://github.com/medsterr/yara/blob/main/python/pickles/generic_dirty_pickle.yar"
	strings:
		$a = "import os" base64
		$b = "import subprocess" base64
		$c = "os.system(" base64
		$d = "subprocess.Popen(" base64
		$e = "__import__(" base64
		$f = "/bin/bash" base64
		$g = "/bin/sh -c" base64
		$h = "import socket" base64
		$i = "exec(compile(" base64
		$j = "from os import" base64
		$k = "import pty" base64
	condition:
		any of them and
		(kind == "pickle" or kind == "pickle-strings" or kind == "metadata")
}

rule hex_encoded_code
{
	meta:
		id = "MS-YARA-hex_encoded_code"
		severity = "high"
		description = "hex text that decodes to code (import os, os.system(, /bin/sh)"
		reference = "https://docs.python.org/3/library/stdtypes.html#bytes.fromhex"
	strings:
		$a = "696d706f7274206f73" nocase            // import os
		$b = "6f732e73797374656d28" nocase          // os.system(
		$c = "2f62696e2f7368" nocase                // /bin/sh
		$d = "2f62696e2f62617368" nocase            // /bin/bash
		$e = "5f5f696d706f72745f5f28" nocase        // __import__(
		$f = "696d706f72742073756270726f63657373" nocase // import subprocess
	condition:
		any of them and
		(kind == "pickle" or kind == "pickle-strings" or kind == "metadata")
}

rule pickle_exec_decoded_payload
{
	meta:
		id = "MS-YARA-pickle_exec_decoded_payload"
		severity = "critical"
		description = "pickle imports exec/eval together with a decoder (zlib, base64, marshal, codecs)"
		reference = "https://github.com/coldwaterq/pickle_injector"
	strings:
		// the GLOBAL opcode "c" is written into each alternative so that it starts the atom:
		// a lone "c" (or a name's first letters) would be an atom hit in most pickles
		$exec0 = /(c__builtin__|cbuiltins)\n(exec|eval|compile)\n/
		$exec4 = /\x8c(\x08builtins|\x0b__builtin__)\x94?\x8c\x04(exec|eval)\x94?\x93/
		$dec0 = /(czlib|cbase64|cmarshal|ccodecs|cbinascii|clzma|cbz2|cgzip)\n(decompress|b64decode|b32decode|b85decode|a85decode|decodebytes|loads|decode|unhexlify|a2b_base64|a2b_hex)\n/
		$dec4 = /\x8c[\x03-\x08](zlib|base64|marshal|codecs|binascii|lzma|bz2|gzip)\x94?\x8c[\x04-\x0c](decompress|b64decode|b32decode|b85decode|a85decode|decodebytes|loads|decode|unhexlify|a2b_base64|a2b_hex)\x94?\x93/
	condition:
		($exec0 or $exec4) and ($dec0 or $dec4) and
		kind == "pickle"
}
