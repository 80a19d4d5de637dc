// SPDX-License-Identifier: Apache-2.0
// Copyright (c) 2026 The mscan authors
// Executables and scripts carried inside model files. External variables: rules/README.md.
// An archive member (kind "member"/"data") is checked at offset 0 with the header's own
// structure; inside pickles (raw stream or decoded constants) the header must be followed by
// the fields that make it loadable, because a pickle stream holds arbitrary bytes.
// Each condition tests "is the string there at all" first: libyara 4.2 evaluates every
// rule's condition on every scan, and the short-circuit skips the rest for the usual file.

rule embedded_elf
{
	meta:
		id = "MS-YARA-embedded_elf"
		severity = "high"
		description = "ELF executable or shared object inside a model file"
		reference = "https://refspecs.linuxfoundation.org/elf/gabi4+/ch4.eheader.html"
	strings:
		$elf = { 7F 45 4C 46 (01 | 02) (01 | 02) 01 }
	condition:
		$elf and
		(($elf at 0 and (kind == "member" or kind == "data") and uint16(16) >= 1 and uint16(16) <= 4)
		 or ((kind == "pickle" or kind == "pickle-strings") and
		     for any i in (1 .. #elf) : (uint16(@elf[i] + 16) >= 1 and uint16(@elf[i] + 16) <= 4
		                                 and uint32(@elf[i] + 20) == 1)))
}

rule embedded_pe
{
	meta:
		id = "MS-YARA-embedded_pe"
		severity = "high"
		description = "Windows PE executable or DLL inside a model file"
		reference = "https://learn.microsoft.com/en-us/windows/win32/debug/pe-format"
	strings:
		$dos = "This program cannot be run in DOS mode"
		$mz = "MZ"
	condition:
		$mz and
		(($mz at 0 and (kind == "member" or kind == "data") and uint32(0x3c) < 0x1000 and
		  uint32(uint32(0x3c)) == 0x00004550)
		 or ($dos and (kind == "pickle" or kind == "pickle-strings") and
		     for any i in (1 .. #mz) : (@mz[i] < @dos and @dos - @mz[i] < 0x80 and
		         uint32(@mz[i] + uint32(@mz[i] + 0x3c)) == 0x00004550)))
}

rule embedded_macho
{
	meta:
		id = "MS-YARA-embedded_macho"
		severity = "high"
		description = "Mach-O executable inside a model file"
		reference = "https://github.com/apple-oss-distributions/xnu/blob/main/EXTERNAL_HEADERS/mach-o/loader.h"
	strings:
		// magic, then cputype x86/x86_64/arm/arm64, then filetype EXECUTE/DYLIB/BUNDLE
		$m32 = { CE FA ED FE (07 | 0C) 00 00 00 ?? ?? ?? ?? (02 | 06 | 08) 00 00 00 }
		$m64 = { CF FA ED FE (07 | 0C) 00 00 01 ?? ?? ?? ?? (02 | 06 | 08) 00 00 00 }
	condition:
		any of them and
		((($m32 at 0 or $m64 at 0) and (kind == "member" or kind == "data"))
		 or kind == "pickle" or kind == "pickle-strings")
}

rule embedded_shell_script
{
	meta:
		id = "MS-YARA-embedded_shell_script"
		severity = "high"
		description = "shell or interpreter script (#! line) inside a model file"
		reference = "https://pubs.opengroup.org/onlinepubs/9699919799/utilities/sh.html"
	strings:
		$she = /#![ \t]{0,4}\/(usr\/)?(local\/)?bin\/(env[ \t]+)?(ba|da|z|k|c|tc|fi)?sh[ \t]*(-[a-z]+[ \t]*)?(\n|\\n)/
		$py = /#![ \t]{0,4}\/(usr\/)?(local\/)?bin\/(env[ \t]+)?(python[23]?(\.[0-9]+)?|perl|ruby|node)[ \t]*(\n|\\n)/
	condition:
		any of them and
		((($she at 0 or $py at 0) and (kind == "member" or kind == "data"))
		 or kind == "pickle" or kind == "pickle-strings")
}
