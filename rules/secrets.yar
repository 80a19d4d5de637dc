// SPDX-License-Identifier: Apache-2.0
// Copyright (c) 2026 The mscan authors
// Credentials that should never ship in a model file (a leak, not code execution: medium).
// `secret = true` makes the finding quote only the first bytes of the match.
// Patterns follow the issuers' documented token formats.

rule aws_access_key
{
	meta:
		id = "MS-YARA-aws_access_key"
		severity = "medium"
		description = "AWS access key id (AKIA/ASIA...)"
		reference = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids"
		secret = true
	strings:
		$k = /(^|[^A-Z0-9])(AKIA|ASIA)[A-Z2-7]{16}([^A-Za-z0-9]|$)/
	condition:
		$k
}

rule github_token
{
	meta:
		id = "MS-YARA-github_token"
		severity = "medium"
		description = "GitHub token (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_)"
		reference = "https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/"
		secret = true
	strings:
		$classic = /(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}([^A-Za-z0-9]|$)/
		$fine = /github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}/
	condition:
		any of them
}

rule private_key_pem
{
	meta:
		id = "MS-YARA-private_key_pem"
		severity = "medium"
		description = "PEM private key block"
		reference = "https://www.rfc-editor.org/rfc/rfc7468#section-10"
		secret = true
	strings:
		$k = /-----BEGIN (RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY( BLOCK)?-----/
	condition:
		$k
}

rule slack_token
{
	meta:
		id = "MS-YARA-slack_token"
		severity = "medium"
		description = "Slack token (xoxb-, xoxp-, ...) or incoming-webhook URL"
		reference = "https://api.slack.com/authentication/token-types"
		secret = true
	strings:
		$t = /xox[abposr]-[0-9]{8,13}-[0-9A-Za-z\-]{8,}/
		$w = /hooks\.slack\.com\/services\/T[A-Z0-9]{6,}\/B[A-Z0-9]{6,}\/[A-Za-z0-9]{16,}/
	condition:
		any of them
}

rule gcp_service_account_key
{
	meta:
		id = "MS-YARA-gcp_service_account_key"
		severity = "medium"
		description = "Google Cloud service-account key JSON"
		reference = "https://cloud.google.com/iam/docs/keys-create-delete"
		secret = true
	strings:
		$type = /"type"[ \t]*:[ \t]*"service_account"/
		$kid = "\"private_key_id\""
		$pk = "\"private_key\""
		$mail = /\.iam\.gserviceaccount\.com/
	condition:
		$type and $kid and ($pk or $mail)
}

rule huggingface_token
{
	meta:
		id = "MS-YARA-huggingface_token"
		severity = "medium"
		description = "Hugging Face access token (hf_...)"
		reference = "https://huggingface.co/docs/hub/security-tokens"
		secret = true
	strings:
		$t = /(^|[^A-Za-z0-9_])hf_[A-Za-z]{34}([^A-Za-z0-9]|$)/
	condition:
		$t and
		(kind == "pickle" or kind == "pickle-strings" or kind == "member" or kind == "metadata")
}
