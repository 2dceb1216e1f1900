terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

resource "aws_iam_policy" "base_policy" {
  name        = "VaultwardBasePolicy"
  path        = "/vaultward/"
  description = "Validate the service's own roles, policies, topic and rules, and detect drift"

  policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "ReadOwnRolesAndPolicies",
          "Effect": "Allow",
          "Action": [
            "iam:GetRole",
            "iam:GetRolePolicy",
            "iam:ListAttachedRolePolicies",
            "iam:ListRolePolicies",
            "iam:ListRoleTags",
            "iam:ListInstanceProfilesForRole"
          ],
          "Resource": "arn:aws:iam::111122223333:role/vaultward/Vaultward*"
        },
        {
          "Sid": "ReadOwnManagedPolicies",
          "Effect": "Allow",
          "Action": [
            "iam:GetPolicy",
            "iam:GetPolicyVersion"
          ],
          "Resource": "arn:aws:iam::111122223333:policy/vaultward/Vaultward*"
        },
        {
          "Sid": "ReadAccountAlias",
          "Effect": "Allow",
          "Action": [
            "iam:ListAccountAliases"
          ],
          "Resource": "*"
        },
        {
          "Sid": "ReadOwnTopicAndRules",
          "Effect": "Allow",
          "Action": [
            "sns:GetTopicAttributes",
            "sns:ListSubscriptionsByTopic",
            "sns:ListTagsForResource",
            "events:DescribeRule",
            "events:ListTargetsByRule",
            "events:ListTagsForResource"
          ],
          "Resource": [
            "arn:aws:sns:*:111122223333:VaultwardEventPub",
            "arn:aws:events:*:111122223333:rule/Vaultward*"
          ]
        },
        {
          "Sid": "DetectDrift",
          "Effect": "Allow",
          "Action": [
            "cloudformation:DescribeStacks",
            "cloudformation:DescribeStackResources",
            "cloudformation:DetectStackResourceDrift"
          ],
          "Resource": "arn:aws:cloudformation:*:111122223333:stack/Vaultward*"
        },
        {
          "Sid": "SimulateOwnPolicies",
          "Effect": "Allow",
          "Action": [
            "iam:SimulatePrincipalPolicy",
            "iam:GetContextKeysForPrincipalPolicy"
          ],
          "Resource": "arn:aws:iam::111122223333:role/vaultward/Vaultward*"
        },
        {
          "Sid": "ReadServiceLinkedRoleDeletion",
          "Effect": "Allow",
          "Action": [
            "iam:GetServiceLinkedRoleDeletionStatus",
            "events:DescribeEventBus"
          ],
          "Resource": "*"
        }
      ]
    }
  EOT
}

resource "aws_iam_policy" "inventory_policy" {
  name        = "VaultwardInventoryPolicy"
  path        = "/vaultward/"
  description = "List the selected assets and their configuration, read-only"

  policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "ListProtectedResources",
          "Effect": "Allow",
          "Action": [
            "backup:ListProtectedResources",
            "cloudwatch:GetMetricStatistics",
            "kms:DescribeKey"
          ],
          "Resource": "*"
        },
        {
          "Sid": "CollectAccountConfiguration",
          "Effect": "Allow",
          "Action": [
            "iam:GetAccountAuthorizationDetails",
            "organizations:DescribeOrganization",
            "organizations:ListParents",
            "organizations:ListPoliciesForTarget",
            "organizations:DescribePolicy",
            "kms:ListKeys",
            "kms:ListAliases",
            "kms:GetKeyPolicy",
            "kms:ListGrants",
            "ec2:DescribeRegions",
            "backup:ListBackupVaults"
          ],
          "Resource": "*"
        },
        {
          "Sid": "CollectCompute",
          "Effect": "Allow",
          "Action": [
            "lambda:ListFunctions",
            "lambda:ListEventSourceMappings",
            "cloudformation:DescribeStacks",
            "sagemaker:ListNotebookInstances",
            "sagemaker:DescribeNotebookInstance",
            "glue:GetDevEndpoints",
            "codebuild:ListProjects",
            "codebuild:BatchGetProjects",
            "ecs:ListTaskDefinitions",
            "ecs:DescribeTaskDefinition",
            "ssm:DescribeInstanceInformation",
            "ec2:DescribeInstances"
          ],
          "Resource": "*"
        },
        {
          "Sid": "ReadBackupVaults",
          "Effect": "Allow",
          "Action": [
            "backup:DescribeBackupVault",
            "backup:GetBackupVaultAccessPolicy",
            "backup:ListRecoveryPointsByBackupVault"
          ],
          "Resource": "arn:aws:backup:*:111122223333:backup-vault:*"
        },
        {
          "Sid": "InventoryS3",
          "Effect": "Allow",
          "Action": [
            "s3:ListAllMyBuckets",
            "s3:GetBucketLocation",
            "s3:GetEncryptionConfiguration",
            "s3:GetBucketVersioning",
            "s3:GetBucketPolicy",
            "s3:GetBucketTagging",
            "s3:GetReplicationConfiguration",
            "s3:GetLifecycleConfiguration",
            "s3:GetBucketLogging",
            "s3:GetBucketOwnershipControls",
            "s3:GetBucketPublicAccessBlock"
          ],
          "Resource": "*"
        },
        {
          "Sid": "InventoryS3Objects",
          "Effect": "Allow",
          "Action": [
            "s3:ListBucketVersions",
            "s3:GetObject",
            "s3:GetObjectVersion"
          ],
          "Resource": [
            "arn:aws:s3:::*",
            "arn:aws:s3:::*/*"
          ],
          "Condition": {
            "StringEquals": {
              "s3:ResourceAccount": "111122223333"
            }
          }
        }
      ]
    }
  EOT
}

resource "aws_iam_policy" "kms_policy" {
  name        = "VaultwardKmsPolicy"
  path        = "/vaultward/"
  description = "Use customer keys for encrypted assets, only through the protected services"

  policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "UseKeysThroughBackedUpServices",
          "Effect": "Allow",
          "Action": [
            "kms:Decrypt"
          ],
          "Resource": "arn:aws:kms:*:111122223333:key/*",
          "Condition": {
            "StringEquals": {
              "kms:ViaService": [
                "s3.us-east-1.amazonaws.com",
                "s3.eu-west-1.amazonaws.com"
              ]
            }
          }
        }
      ]
    }
  EOT
}

resource "aws_iam_policy" "s3_backup_policy" {
  name        = "VaultwardS3BackupPolicy"
  path        = "/vaultward/"
  description = "Read buckets and objects for backup"

  policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "ReadBucketsForBackup",
          "Effect": "Allow",
          "Action": [
            "s3:ListBucket",
            "s3:ListBucketVersions",
            "s3:ListBucketMultipartUploads",
            "s3:GetInventoryConfiguration",
            "s3:PutInventoryConfiguration"
          ],
          "Resource": "arn:aws:s3:::*",
          "Condition": {
            "StringEquals": {
              "s3:ResourceAccount": "111122223333"
            }
          }
        },
        {
          "Sid": "ReadObjectsForBackup",
          "Effect": "Allow",
          "Action": [
            "s3:GetObject",
            "s3:GetObjectVersion",
            "s3:GetObjectTagging",
            "s3:GetObjectVersionTagging",
            "s3:GetObjectAcl",
            "s3:GetObjectVersionAcl"
          ],
          "Resource": "arn:aws:s3:::*/*",
          "Condition": {
            "StringEquals": {
              "s3:ResourceAccount": "111122223333"
            }
          }
        },
        {
          "Sid": "ReadOrganization",
          "Effect": "Allow",
          "Action": [
            "organizations:DescribeOrganization"
          ],
          "Resource": "*"
        }
      ]
    }
  EOT
}

resource "aws_iam_role" "backup_role" {
  name                 = "VaultwardBackupRole"
  path                 = "/vaultward/"
  description          = "Assumed by the backup service's control plane to inventory, back up and restore the selected assets"
  max_session_duration = 3600

  assume_role_policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "ControlPlaneWithExternalId",
          "Effect": "Allow",
          "Principal": {
            "AWS": "arn:aws:iam::999988887777:role/VaultwardControlPlane"
          },
          "Action": "sts:AssumeRole",
          "Condition": {
            "StringEquals": {
              "sts:ExternalId": "example-external-id"
            }
          }
        }
      ]
    }
  EOT
}

resource "aws_iam_role_policy_attachment" "backup_role_base_policy" {
  role       = aws_iam_role.backup_role.name
  policy_arn = aws_iam_policy.base_policy.arn
}

resource "aws_iam_role_policy_attachment" "backup_role_inventory_policy" {
  role       = aws_iam_role.backup_role.name
  policy_arn = aws_iam_policy.inventory_policy.arn
}

resource "aws_iam_role_policy_attachment" "backup_role_kms_policy" {
  role       = aws_iam_role.backup_role.name
  policy_arn = aws_iam_policy.kms_policy.arn
}

resource "aws_iam_role_policy_attachment" "backup_role_s3_backup_policy" {
  role       = aws_iam_role.backup_role.name
  policy_arn = aws_iam_policy.s3_backup_policy.arn
}

provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"
}

provider "aws" {
  alias  = "eu_west_1"
  region = "eu-west-1"
}

resource "aws_sns_topic" "event_topic" {
  provider = aws.us_east_1

  name = "VaultwardEventPub"
}

resource "aws_sns_topic_policy" "event_topic" {
  provider = aws.us_east_1

  arn = aws_sns_topic.event_topic.arn

  policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "PublishFromThisAccount",
          "Effect": "Allow",
          "Principal": {
            "AWS": "arn:aws:iam::111122223333:root"
          },
          "Action": "sns:Publish",
          "Resource": "${aws_sns_topic.event_topic.arn}"
        },
        {
          "Sid": "PublishFromThisAccountsRules",
          "Effect": "Allow",
          "Principal": {
            "Service": "events.amazonaws.com"
          },
          "Action": "sns:Publish",
          "Resource": "${aws_sns_topic.event_topic.arn}",
          "Condition": {
            "StringEquals": {
              "aws:SourceAccount": "111122223333"
            }
          }
        },
        {
          "Sid": "SubscribeFromControlPlane",
          "Effect": "Allow",
          "Principal": {
            "AWS": "arn:aws:iam::999988887777:role/VaultwardControlPlane"
          },
          "Action": [
            "sns:Subscribe",
            "sns:ListSubscriptionsByTopic"
          ],
          "Resource": "${aws_sns_topic.event_topic.arn}"
        }
      ]
    }
  EOT
}

resource "aws_sns_topic" "event_topic_eu_west1" {
  provider = aws.eu_west_1

  name = "VaultwardEventPub"
}

resource "aws_sns_topic_policy" "event_topic_eu_west1" {
  provider = aws.eu_west_1

  arn = aws_sns_topic.event_topic_eu_west1.arn

  policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "PublishFromThisAccount",
          "Effect": "Allow",
          "Principal": {
            "AWS": "arn:aws:iam::111122223333:root"
          },
          "Action": "sns:Publish",
          "Resource": "${aws_sns_topic.event_topic_eu_west1.arn}"
        },
        {
          "Sid": "PublishFromThisAccountsRules",
          "Effect": "Allow",
          "Principal": {
            "Service": "events.amazonaws.com"
          },
          "Action": "sns:Publish",
          "Resource": "${aws_sns_topic.event_topic_eu_west1.arn}",
          "Condition": {
            "StringEquals": {
              "aws:SourceAccount": "111122223333"
            }
          }
        },
        {
          "Sid": "SubscribeFromControlPlane",
          "Effect": "Allow",
          "Principal": {
            "AWS": "arn:aws:iam::999988887777:role/VaultwardControlPlane"
          },
          "Action": [
            "sns:Subscribe",
            "sns:ListSubscriptionsByTopic"
          ],
          "Resource": "${aws_sns_topic.event_topic_eu_west1.arn}"
        }
      ]
    }
  EOT
}

resource "aws_cloudwatch_event_rule" "inventory_changes" {
  provider = aws.us_east_1

  name = "VaultwardInventoryChanges"

  event_pattern = <<-EOT
    {
      "source": [
        "aws.s3"
      ],
      "detail-type": [
        "AWS API Call via CloudTrail"
      ]
    }
  EOT
}

resource "aws_cloudwatch_event_target" "inventory_changes" {
  provider  = aws.us_east_1
  rule      = aws_cloudwatch_event_rule.inventory_changes.name
  target_id = "EventTopic"
  arn       = aws_sns_topic.event_topic.arn
}

resource "aws_cloudwatch_event_rule" "inventory_changes_eu_west1" {
  provider = aws.eu_west_1

  name = "VaultwardInventoryChanges"

  event_pattern = <<-EOT
    {
      "source": [
        "aws.s3"
      ],
      "detail-type": [
        "AWS API Call via CloudTrail"
      ]
    }
  EOT
}

resource "aws_cloudwatch_event_target" "inventory_changes_eu_west1" {
  provider  = aws.eu_west_1
  rule      = aws_cloudwatch_event_rule.inventory_changes_eu_west1.name
  target_id = "EventTopic"
  arn       = aws_sns_topic.event_topic_eu_west1.arn
}

output "backup_role_arn" {
  description = "Give this ARN to the backup service"
  value       = aws_iam_role.backup_role.arn
}
