// SPDX-License-Identifier: Apache-2.0
// Copyright (c) 2026 The mscan authors
// Crypto miners, network indicators in pickle constants, and markers of public pickle
// exploit kits and scanner-bypass proofs of concept.

rule crypto_miner
{
	meta:
		id = "MS-YARA-crypto_miner"
		severity = "high"
		description = "crypto-miner pool URL or miner tool (stratum+tcp, xmrig, minerd, cryptonight)"
		reference = "https://github.com/xmrig/xmrig/blob/master/doc/CPU.md"
	strings:
		$stratum = /stratum[0-9]?\+(tcp|ssl|tls):\/\// nocase
		$xmrig = "xmrig" nocase fullword
		$minerd = "minerd" fullword
		$cn = "cryptonight" nocase fullword
		$donate = "--donate-level"
	condition:
		any of them and ($stratum or kind != "data")
}

rule url_in_pickle
{
	meta:
		id = "MS-YARA-url_in_pickle"
		severity = "low"
		description = "URL in a pickle constant (model weights name no URLs; loaders that fetch do)"
		reference = "https://jfrog.com/blog/data-scientists-targeted-by-malicious-hugging-face-ml-models-with-silent-backdoor/"
	strings:
		$u = /(https?|ftps?):\/\/[A-Za-z0-9][A-Za-z0-9.\-]{2,252}(:[0-9]{1,5})?(\/|[^A-Za-z0-9.\-:]|$)/
	condition:
		$u and
		(kind == "pickle" or kind == "pickle-strings")
}

rule ipv4_in_pickle
{
	meta:
		id = "MS-YARA-ipv4_in_pickle"
		severity = "low"
		description = "raw IPv4 address as a pickle string constant (connect-back target)"
		reference = "https://jfrog.com/blog/data-scientists-targeted-by-malicious-hugging-face-ml-models-with-silent-backdoor/"
	strings:
		// SHORT_BINUNICODE / protocol 0 UNICODE constant holding exactly an address; the
		// opcode and length byte are spelt out so that they are the atom, not a lone \x8c
		// (a byte of any BININT or BINFLOAT argument)
		$b = /(\x8c\x07|\x8c\x08|\x8c\x09|\x8c\x0a|\x8c\x0b|\x8c\x0c|\x8c\x0d|\x8c\x0e|\x8c\x0f)([0-9]{1,3}\.){3}[0-9]{1,3}\x94/
		$v = /\nV([0-9]{1,3}\.){3}[0-9]{1,3}\n/
		// decoded constants are joined with newlines: a whole constant starts the buffer or
		// follows a newline (tested in the condition: a leading \n would make every digit
		// after a newline, each torch storage key, an atom to verify). This is
		// ([0-9]{1,3}\.){3}[0-9]{1,3}(:[0-9]{1,5})?\n spelt so that libyara's atom is a
		// digit, a dot and a digit (the alternation), not the bare dot it would pick
		// otherwise: every dot of every state-dict key ("layers.0.weight") was verified.
		$s = /[0-9]{0,2}(0\.0|0\.1|0\.2|0\.3|0\.4|0\.5|0\.6|0\.7|0\.8|0\.9|1\.0|1\.1|1\.2|1\.3|1\.4|1\.5|1\.6|1\.7|1\.8|1\.9|2\.0|2\.1|2\.2|2\.3|2\.4|2\.5|2\.6|2\.7|2\.8|2\.9|3\.0|3\.1|3\.2|3\.3|3\.4|3\.5|3\.6|3\.7|3\.8|3\.9|4\.0|4\.1|4\.2|4\.3|4\.4|4\.5|4\.6|4\.7|4\.8|4\.9|5\.0|5\.1|5\.2|5\.3|5\.4|5\.5|5\.6|5\.7|5\.8|5\.9|6\.0|6\.1|6\.2|6\.3|6\.4|6\.5|6\.6|6\.7|6\.8|6\.9|7\.0|7\.1|7\.2|7\.3|7\.4|7\.5|7\.6|7\.7|7\.8|7\.9|8\.0|8\.1|8\.2|8\.3|8\.4|8\.5|8\.6|8\.7|8\.8|8\.9|9\.0|9\.1|9\.2|9\.3|9\.4|9\.5|9\.6|9\.7|9\.8|9\.9)[0-9]{0,2}\.[0-9]{1,3}\.[0-9]{1,3}(:[0-9]{1,5})?\n/
	condition:
		any of them and
		((($b or $v) and kind == "pickle") or
		 ($s and kind == "pickle-strings" and
		  for any i in (1..#s) : (@s[i] == 0 or uint8(@s[i] - 1) == 0x0a)))
}

rule pickle_injected_before_proto
{
	meta:
		id = "MS-YARA-pickle_injected_before_proto"
		severity = "critical"
		description = "call injected ahead of the PROTO opcode (fickling --inject, pickle_injector)"
		reference = "https://github.com/trailofbits/fickling/blob/master/fickling/fickle.py"
	strings:
		$g = /^c[A-Za-z_][A-Za-z0-9_.]{0,64}\n[A-Za-z_][A-Za-z0-9_.]{0,64}\n\(/
		// a call's end (TUPLE*, REDUCE[, POP or MEMOIZE]) right before PROTO: spelt out with
		// the PROTO byte in each alternative, as "tR" alone is in every torch pickle
		$p = /(tR\x80|\x85R\x80|\x86R\x80|\x87R\x80|tR0\x80|\x85R0\x80|\x86R0\x80|\x87R0\x80|tR\x94\x80|\x85R\x94\x80|\x86R\x94\x80|\x87R\x94\x80)[\x02-\x05]/
	condition:
		$g at 0 and $p and @p[1] < 0x100000 and
		kind == "pickle"
}

rule pickle_poc_markers
{
	meta:
		id = "MS-YARA-pickle_poc_markers"
		severity = "high"
		description = "strings of public malicious-pickle proofs of concept and generators"
		reference = "https://github.com/trailofbits/fickling/blob/master/example/numpy_poc.py"
	strings:
		$a = "Never trust a pickle" nocase
		$b = "Now I can run malicious code" nocase
		$c = "pickle_inject" fullword
		$d = "EvilPickle" fullword
		$e = "malicious_pickle" nocase fullword
		$f = "__reduce__ exploit" nocase
	condition:
		any of them and
		(kind == "pickle" or kind == "pickle-strings" or kind == "member")
}

rule pickle_scanner_bypass_gadgets
{
	meta:
		id = "MS-YARA-pickle_scanner_bypass_gadgets"
		severity = "high"
		description = "global used by published picklescan/ModelScan bypasses (pkgutil.resolve_name, pip.main, ...)"
		reference = "https://arxiv.org/abs/2508.19774"
	strings:
		$resolve = /(cpkgutil\nresolve_name\n|\x8c\x07pkgutil\x94?\x8c\x0cresolve_name\x94?\x93)/
		$pip = /(cpip(\._internal)?\nmain\n|\x8c\x03pip\x94?\x8c\x04main\x94?\x93)/
		$ensurepip = /(censurepip\n_run_pip\n|\x8c\x09ensurepip\x94?\x8c\x08_run_pip\x94?\x93)/
		$idle = /(cidlelib\.[a-z]{3,20}\n|\x8c[\x0c-\x1c]idlelib\.[a-z]{3,20}\x94?\x8c)/
		$asyncio = "_UnixSubprocessTransport"
		$runpy = /(crunpy\n_run_(code|module_code)\n|\x8c\x05runpy\x94?\x8c[\x09\x10]_run_(code|module_code)\x94?\x93)/
	condition:
		any of them and
		kind == "pickle"
}
