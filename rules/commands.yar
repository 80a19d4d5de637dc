// SPDX-License-Identifier: Apache-2.0
// Copyright (c) 2026 The mscan authors
// Shell command lines, interpreter invocations and reverse-shell idioms. These run on the
// pickle stream, on its decoded string constants, on non-tensor members and on metadata; not
// on unrecognised "data" members, where a README's install line (curl ... | sh) is prose.

rule shell_command_line
{
	meta:
		id = "MS-YARA-shell_command_line"
		severity = "high"
		description = "shell command line (sh -c, bash -c, cmd /c) in a model file"
		reference = "https://davidhamann.de/2020/04/05/exploiting-python-pickle/"
	strings:
		$sh = /\/bin\/(ba|da|z)?sh[ \t]+-[a-z]*c[ \t]/
		$bare = /(^|[\s'"(\[,]V?)(ba|z)?sh[ \t]+-c[ \t]+['"]/
		$cmd = /cmd(\.exe)?[ \t]+\/[cCkK][ \t]/ nocase
	condition:
		any of them and
		(kind == "pickle" or kind == "pickle-strings" or kind == "member" or kind == "metadata")
}

rule download_and_execute
{
	meta:
		id = "MS-YARA-download_and_execute"
		severity = "critical"
		description = "download piped into a shell (curl ... | sh, wget -O- ... | bash)"
		reference = "https://blog.trailofbits.com/2021/03/15/never-a-dill-moment-exploiting-machine-learning-pickle-files/"
	strings:
		$pipe = /(curl|wget)[ \t][^\n|;&]{1,512}\|[ \t]*(sudo[ \t]+)?(\/usr)?(\/bin\/)?(ba|da|z)?sh\b/
		$then = /(curl|wget)[ \t][^\n|;&]{1,512}(;|&&)[ \t]*(chmod[ \t]+\+?[0-7x]+|(ba|da|z)?sh[ \t]|\.\/)/
	condition:
		any of them and
		(kind == "pickle" or kind == "pickle-strings" or kind == "member" or kind == "metadata")
}

rule powershell_encoded
{
	meta:
		id = "MS-YARA-powershell_encoded"
		severity = "critical"
		description = "PowerShell started with an encoded command or a download cradle"
		reference = "https://learn.microsoft.com/en-us/powershell/module/microsoft.powershell.core/about/about_pwsh"
	strings:
		$enc = /(powershell|pwsh)(\.exe)?[ \t]+(-[a-z]+[ \t]+)*-e(nc|ncodedcommand)?[ \t]+[A-Za-z0-9+\/=]{16,}/ nocase
		$iex = /(powershell|pwsh)(\.exe)?[^\n]{0,256}(iex|invoke-expression)[^\n]{0,128}(downloadstring|iwr|invoke-webrequest)/ nocase
	condition:
		any of them and
		(kind == "pickle" or kind == "pickle-strings" or kind == "member" or kind == "metadata")
}

rule interpreter_inline_code
{
	meta:
		id = "MS-YARA-interpreter_inline_code"
		severity = "high"
		description = "interpreter run on inline code (python -c, perl -e, node -e, php -r)"
		reference = "https://docs.python.org/3/using/cmdline.html#cmdoption-c"
	strings:
		$i = /(^|[\s'"\/(]V?)(python[23]?(\.[0-9]+)?|perl|ruby|node|php)[ \t\n]+-(c|e|r)[ \t\n]+['"]?[ -~]{4}/
	condition:
		$i and
		(kind == "pickle" or kind == "pickle-strings" or kind == "member" or kind == "metadata")
}

rule netcat_shell
{
	meta:
		id = "MS-YARA-netcat_shell"
		severity = "critical"
		description = "netcat or a named pipe wired to a shell (nc -e, mkfifo ... | sh | nc)"
		reference = "https://github.com/swisskyrepo/PayloadsAllTheThings/blob/master/Methodology%20and%20Resources/Reverse%20Shell%20Cheatsheet.md"
	strings:
		// n(c|cat|etcat)(\.exe)?[ \t] spelt out: the atom is then the tool's name, not the
		// trailing "sh" (SETITEM then BINGET, at every tensor of a torch pickle)
		$nce = /(^|[^A-Za-z0-9_])V?(nc |nc\t|ncat |ncat\t|netcat |netcat\t|nc\.exe |nc\.exe\t|ncat\.exe |ncat\.exe\t|netcat\.exe |netcat\.exe\t)[^\n]{0,128}-[a-z]*[ec][ \t]+(\/bin\/)?(ba|z)?sh\b/
		$fifo = /mkfifo[ \t][^\n]{1,256}(\/bin\/)?(ba|z)?sh[ \t][^\n]{0,256}[^A-Za-z0-9_]n(c|cat)[ \t]/
	condition:
		any of them and
		(kind == "pickle" or kind == "pickle-strings" or kind == "member" or kind == "metadata")
}

rule reverse_shell_dev_tcp
{
	meta:
		id = "MS-YARA-reverse_shell_dev_tcp"
		severity = "critical"
		description = "bash /dev/tcp or /dev/udp redirection (reverse shell)"
		reference = "https://www.gnu.org/software/bash/manual/html_node/Redirections.html"
	strings:
		$dev = /\/dev\/(tcp|udp)\/[A-Za-z0-9.\-]{1,253}\/[0-9]{1,5}/
		$bi = /bash[ \t]+-i[ \t]*[>&]/
	condition:
		any of them and
		(kind == "pickle" or kind == "pickle-strings" or kind == "member" or kind == "metadata")
}

rule reverse_shell_python
{
	meta:
		id = "MS-YARA-reverse_shell_python"
		severity = "critical"
		description = "Python reverse shell: a socket connected and wired to a shell or pty"
		reference = "https://github.com/swisskyrepo/PayloadsAllTheThings/blob/master/Methodology%20and%20Resources/Reverse%20Shell%20Cheatsheet.md"
	strings:
		$sock = "socket.socket("
		$conn = ".connect(("
		$dup = "dup2("
		$pty = "pty.spawn("
		$sub = "subprocess."
	condition:
		(($sock and $conn and ($dup or $pty or $sub)) or ($pty and ($dup or $conn))) and
		(kind == "pickle" or kind == "pickle-strings" or kind == "member" or kind == "metadata")
}

rule pty_spawn
{
	meta:
		id = "MS-YARA-pty_spawn"
		severity = "high"
		description = "pty.spawn of a shell (interactive shell upgrade)"
		reference = "https://docs.python.org/3/library/pty.html#pty.spawn"
	strings:
		$p = /pty\.spawn\([ \t]*['"](\/bin\/)?(ba|z)?sh['"]/
	condition:
		$p and
		(kind == "pickle" or kind == "pickle-strings" or kind == "member" or kind == "metadata")
}
