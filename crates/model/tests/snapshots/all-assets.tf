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
        },
        {
          "Sid": "InventoryDynamoDb",
          "Effect": "Allow",
          "Action": [
            "dynamodb:DescribeBackup",
            "dynamodb:DescribeContinuousBackups",
            "dynamodb:DescribeTable",
            "dynamodb:DescribeTableReplicaAutoScaling",
            "dynamodb:ListBackups",
            "dynamodb:ListTables",
            "dynamodb:ListTagsOfResource",
            "dynamodb:DescribeGlobalTable",
            "dynamodb:DescribeGlobalTableSettings",
            "dynamodb:ListGlobalTables"
          ],
          "Resource": "*"
        },
        {
          "Sid": "InventoryEc2",
          "Effect": "Allow",
          "Action": [
            "ec2:DescribeImageAttribute",
            "ec2:DescribeImages",
            "ec2:DescribeInstanceAttribute",
            "ec2:DescribeInstanceStatus",
            "ec2:DescribeInstances",
            "ec2:DescribeInstanceTypes",
            "ec2:DescribeInstanceCreditSpecifications",
            "ec2:DescribeInstanceTypeOfferings",
            "ec2:DescribeTags",
            "ec2:DescribeSnapshots",
            "ec2:DescribeAvailabilityZones",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeFastSnapshotRestores",
            "ec2:DescribeSnapshotAttribute",
            "ec2:DescribeVolumeAttribute",
            "ec2:DescribeVolumeStatus",
            "ec2:DescribeVolumes",
            "ec2:DescribeCapacityReservations",
            "ec2:DescribeAddresses",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeVpcs",
            "ec2:DescribeSubnets",
            "ec2:DescribeKeyPairs"
          ],
          "Resource": "*"
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
            "kms:Decrypt",
            "kms:Encrypt",
            "kms:ReEncryptFrom",
            "kms:ReEncryptTo",
            "kms:GenerateDataKey",
            "kms:GenerateDataKeyWithoutPlaintext",
            "kms:DescribeKey"
          ],
          "Resource": "arn:aws:kms:*:111122223333:key/*",
          "Condition": {
            "StringEquals": {
              "kms:ViaService": [
                "s3.us-east-1.amazonaws.com",
                "s3.eu-west-1.amazonaws.com",
                "dynamodb.us-east-1.amazonaws.com",
                "dynamodb.eu-west-1.amazonaws.com",
                "ec2.us-east-1.amazonaws.com",
                "ec2.eu-west-1.amazonaws.com"
              ]
            }
          }
        },
        {
          "Sid": "GrantsForAwsResourcesOnly",
          "Effect": "Allow",
          "Action": [
            "kms:CreateGrant"
          ],
          "Resource": "arn:aws:kms:*:111122223333:key/*",
          "Condition": {
            "Bool": {
              "kms:GrantIsForAWSResource": "true"
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
        },
        {
          "Sid": "ConfigureBucketNotifications",
          "Effect": "Allow",
          "Action": [
            "s3:GetBucketNotification",
            "s3:PutBucketNotification"
          ],
          "Resource": "arn:aws:s3:::*",
          "Condition": {
            "StringEquals": {
              "s3:ResourceAccount": "111122223333"
            }
          }
        },
        {
          "Sid": "ManageOwnRules",
          "Effect": "Allow",
          "Action": [
            "events:DescribeRule",
            "events:PutRule",
            "events:DeleteRule",
            "events:PutTargets",
            "events:RemoveTargets",
            "events:ListTargetsByRule"
          ],
          "Resource": "arn:aws:events:*:111122223333:rule/Vaultward*"
        },
        {
          "Sid": "PassEventBridgeRole",
          "Effect": "Allow",
          "Action": [
            "iam:PassRole"
          ],
          "Resource": "arn:aws:iam::111122223333:role/vaultward/VaultwardS3ContinuousBackupEventBridgeRole",
          "Condition": {
            "StringEquals": {
              "iam:PassedToService": "events.amazonaws.com"
            }
          }
        }
      ]
    }
  EOT
}

resource "aws_iam_policy" "s3_restore_policy" {
  name        = "VaultwardS3RestorePolicy"
  path        = "/vaultward/"
  description = "Write restored objects into customer buckets"

  policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "WriteObjectsForRestore",
          "Effect": "Allow",
          "Action": [
            "s3:PutObject",
            "s3:PutObjectTagging",
            "s3:AbortMultipartUpload"
          ],
          "Resource": "arn:aws:s3:::*/*",
          "Condition": {
            "StringEquals": {
              "s3:ResourceAccount": "111122223333"
            },
            "StringEqualsIfExists": {
              "s3:x-amz-acl": [
                "private",
                "bucket-owner-full-control"
              ]
            },
            "Null": {
              "s3:x-amz-grant-read": "true",
              "s3:x-amz-grant-read-acp": "true",
              "s3:x-amz-grant-write-acp": "true",
              "s3:x-amz-grant-full-control": "true"
            }
          }
        }
      ]
    }
  EOT
}

resource "aws_iam_policy" "dynamo_db_backup_policy" {
  name        = "VaultwardDynamoDbBackupPolicy"
  path        = "/vaultward/"
  description = "Export tables to point in time and read streams for incrementals"

  policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "ExportAndBackUpTables",
          "Effect": "Allow",
          "Action": [
            "dynamodb:ExportTableToPointInTime",
            "dynamodb:CreateBackup",
            "dynamodb:DescribeTable",
            "dynamodb:DescribeContinuousBackups",
            "dynamodb:DescribeTimeToLive",
            "dynamodb:ListTagsOfResource"
          ],
          "Resource": "arn:aws:dynamodb:*:111122223333:table/*"
        },
        {
          "Sid": "ReadStreamsAndExports",
          "Effect": "Allow",
          "Action": [
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
            "dynamodb:DescribeExport",
            "dynamodb:DescribeBackup"
          ],
          "Resource": "arn:aws:dynamodb:*:111122223333:table/*/*"
        },
        {
          "Sid": "ListBackups",
          "Effect": "Allow",
          "Action": [
            "dynamodb:ListBackups",
            "application-autoscaling:DescribeScalableTargets",
            "application-autoscaling:DescribeScalingPolicies"
          ],
          "Resource": "*"
        },
        {
          "Sid": "WriteExportsToVendorBuckets",
          "Effect": "Allow",
          "Action": [
            "s3:AbortMultipartUpload",
            "s3:PutObject",
            "s3:PutObjectAcl"
          ],
          "Resource": "arn:aws:s3:::*/*",
          "Condition": {
            "StringEquals": {
              "s3:ResourceAccount": "999988887777"
            }
          }
        }
      ]
    }
  EOT
}

resource "aws_iam_policy" "dynamo_db_restore_policy" {
  name        = "VaultwardDynamoDbRestorePolicy"
  path        = "/vaultward/"
  description = "Restore tables, items and their auto-scaling settings"

  policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "RestoreOnlyIntoPrefixedTables",
          "Effect": "Allow",
          "Action": [
            "dynamodb:CreateTable",
            "dynamodb:CreateTableReplica",
            "dynamodb:UpdateTableReplicaAutoScaling",
            "dynamodb:ImportTable",
            "dynamodb:DescribeTable",
            "dynamodb:RestoreTableFromBackup",
            "dynamodb:RestoreTableToPointInTime",
            "dynamodb:TagResource",
            "dynamodb:UntagResource",
            "dynamodb:UpdateTimeToLive",
            "dynamodb:UpdateTable",
            "dynamodb:UpdateContinuousBackups",
            "dynamodb:BatchWriteItem",
            "dynamodb:DeleteItem",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:Query",
            "dynamodb:Scan",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteTable"
          ],
          "Resource": "arn:aws:dynamodb:*:111122223333:table/vaultward-restored-*"
        },
        {
          "Sid": "RestoreFromAnyTableOrBackup",
          "Effect": "Allow",
          "Action": [
            "dynamodb:RestoreTableToPointInTime",
            "dynamodb:RestoreTableFromBackup"
          ],
          "Resource": [
            "arn:aws:dynamodb:*:111122223333:table/*",
            "arn:aws:dynamodb:*:111122223333:table/*/backup/*"
          ]
        },
        {
          "Sid": "DescribeImports",
          "Effect": "Allow",
          "Action": [
            "dynamodb:DescribeImport"
          ],
          "Resource": "arn:aws:dynamodb:*:111122223333:table/vaultward-restored-*/import/*"
        },
        {
          "Sid": "ReadImportsFromVendorBuckets",
          "Effect": "Allow",
          "Action": [
            "s3:GetObject",
            "s3:ListBucket"
          ],
          "Resource": [
            "arn:aws:s3:::*",
            "arn:aws:s3:::*/*"
          ],
          "Condition": {
            "StringEquals": {
              "s3:ResourceAccount": "999988887777"
            }
          }
        },
        {
          "Sid": "ImportLogs",
          "Effect": "Allow",
          "Action": [
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:DescribeLogStreams",
            "logs:PutLogEvents",
            "logs:PutRetentionPolicy"
          ],
          "Resource": "arn:aws:logs:*:111122223333:log-group:/aws-dynamodb/*"
        },
        {
          "Sid": "ListImportLogGroups",
          "Effect": "Allow",
          "Action": [
            "logs:DescribeLogGroups"
          ],
          "Resource": "*"
        },
        {
          "Sid": "RestoreAutoScaling",
          "Effect": "Allow",
          "Action": [
            "application-autoscaling:PutScalingPolicy",
            "application-autoscaling:RegisterScalableTarget"
          ],
          "Resource": "arn:aws:application-autoscaling:*:111122223333:scalable-target/*"
        },
        {
          "Sid": "AutoScalingServiceLinkedRole",
          "Effect": "Allow",
          "Action": [
            "iam:CreateServiceLinkedRole"
          ],
          "Resource": "arn:aws:iam::111122223333:role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
          "Condition": {
            "StringEquals": {
              "iam:AWSServiceName": "dynamodb.application-autoscaling.amazonaws.com"
            }
          }
        }
      ]
    }
  EOT
}

resource "aws_iam_policy" "ec2_backup_policy" {
  name        = "VaultwardEc2BackupPolicy"
  path        = "/vaultward/"
  description = "Snapshot volumes and instances; touch only what carries the vendor tag"

  policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "SnapshotAnyVolumeOrInstance",
          "Effect": "Allow",
          "Action": [
            "ec2:CreateSnapshot",
            "ec2:CreateSnapshots"
          ],
          "Resource": [
            "arn:aws:ec2:*:111122223333:volume/*",
            "arn:aws:ec2:*:111122223333:instance/*"
          ]
        },
        {
          "Sid": "CreateOnlyVendorTaggedSnapshots",
          "Effect": "Allow",
          "Action": [
            "ec2:CreateSnapshot",
            "ec2:CreateSnapshots"
          ],
          "Resource": "arn:aws:ec2:*::snapshot/*",
          "Condition": {
            "StringEquals": {
              "aws:RequestTag/Vendor": "Vaultward"
            }
          }
        },
        {
          "Sid": "TagOnlyWhileCreating",
          "Effect": "Allow",
          "Action": [
            "ec2:CreateTags"
          ],
          "Resource": [
            "arn:aws:ec2:*::snapshot/*",
            "arn:aws:ec2:*::image/*",
            "arn:aws:ec2:*:111122223333:volume/*",
            "arn:aws:ec2:*:111122223333:instance/*",
            "arn:aws:ec2:*:111122223333:network-interface/*"
          ],
          "Condition": {
            "StringEquals": {
              "ec2:CreateAction": [
                "CreateSnapshot",
                "CreateSnapshots",
                "CreateVolume",
                "RunInstances",
                "RegisterImage"
              ]
            }
          }
        },
        {
          "Sid": "DeleteOnlyVendorSnapshots",
          "Effect": "Allow",
          "Action": [
            "ec2:DeleteSnapshot",
            "ec2:DeleteTags"
          ],
          "Resource": "arn:aws:ec2:*::snapshot/*",
          "Condition": {
            "StringEquals": {
              "aws:ResourceTag/Vendor": "Vaultward"
            }
          }
        },
        {
          "Sid": "ImagesOnlyFromVendorSnapshots",
          "Effect": "Allow",
          "Action": [
            "ec2:RegisterImage"
          ],
          "Resource": "arn:aws:ec2:*::snapshot/*",
          "Condition": {
            "StringEquals": {
              "aws:ResourceTag/Vendor": "Vaultward"
            }
          }
        },
        {
          "Sid": "DeregisterOnlyVendorImages",
          "Effect": "Allow",
          "Action": [
            "ec2:DeregisterImage",
            "ec2:DeleteTags"
          ],
          "Resource": "arn:aws:ec2:*::image/*",
          "Condition": {
            "StringEquals": {
              "aws:ResourceTag/Vendor": "Vaultward"
            }
          }
        },
        {
          "Sid": "RegisterOnlyVendorTaggedImages",
          "Effect": "Allow",
          "Action": [
            "ec2:RegisterImage"
          ],
          "Resource": "arn:aws:ec2:*::image/*",
          "Condition": {
            "StringEquals": {
              "aws:RequestTag/Vendor": "Vaultward"
            }
          }
        },
        {
          "Sid": "ReadSnapshotBlocks",
          "Effect": "Allow",
          "Action": [
            "ebs:GetSnapshotBlock",
            "ebs:ListChangedBlocks",
            "ebs:ListSnapshotBlocks"
          ],
          "Resource": "arn:aws:ec2:*::snapshot/*"
        },
        {
          "Sid": "ReadInstanceProfiles",
          "Effect": "Allow",
          "Action": [
            "iam:GetInstanceProfile",
            "iam:GetRole"
          ],
          "Resource": [
            "arn:aws:iam::111122223333:instance-profile/*",
            "arn:aws:iam::111122223333:role/*"
          ]
        }
      ]
    }
  EOT
}

resource "aws_iam_policy" "ec2_restore_policy" {
  name        = "VaultwardEc2RestorePolicy"
  path        = "/vaultward/"
  description = "Restore volumes, images and instances; manage only what carries the restore tag"

  policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "StartVendorSnapshots",
          "Effect": "Allow",
          "Action": [
            "ebs:StartSnapshot"
          ],
          "Resource": "arn:aws:ec2:*::snapshot/*",
          "Condition": {
            "StringEquals": {
              "aws:RequestTag/Vendor": "Vaultward"
            }
          }
        },
        {
          "Sid": "WriteVendorSnapshots",
          "Effect": "Allow",
          "Action": [
            "ebs:CompleteSnapshot",
            "ebs:PutSnapshotBlock"
          ],
          "Resource": "arn:aws:ec2:*::snapshot/*",
          "Condition": {
            "StringEquals": {
              "aws:ResourceTag/Vendor": "Vaultward"
            }
          }
        },
        {
          "Sid": "CreateRestoreTaggedVolumes",
          "Effect": "Allow",
          "Action": [
            "ec2:CreateVolume"
          ],
          "Resource": "arn:aws:ec2:*:111122223333:volume/*",
          "Condition": {
            "StringLike": {
              "aws:RequestTag/vaultward.restore": "*"
            }
          }
        },
        {
          "Sid": "CreateRestoreTaggedSnapshots",
          "Effect": "Allow",
          "Action": [
            "ec2:CreateSnapshot",
            "ec2:CreateSnapshots"
          ],
          "Resource": "arn:aws:ec2:*::snapshot/*",
          "Condition": {
            "StringLike": {
              "aws:RequestTag/vaultward.restore": "*"
            }
          }
        },
        {
          "Sid": "CreateVolumesFromVendorSnapshots",
          "Effect": "Allow",
          "Action": [
            "ec2:CreateVolume"
          ],
          "Resource": "arn:aws:ec2:*::snapshot/*",
          "Condition": {
            "StringEquals": {
              "aws:ResourceTag/Vendor": "Vaultward"
            }
          }
        },
        {
          "Sid": "ManageOnlyRestoredResources",
          "Effect": "Allow",
          "Action": [
            "ec2:DeleteVolume",
            "ec2:StartInstances",
            "ec2:StopInstances",
            "ec2:TerminateInstances",
            "ec2:DeleteNetworkInterface",
            "ec2:DeleteTags"
          ],
          "Resource": [
            "arn:aws:ec2:*:111122223333:volume/*",
            "arn:aws:ec2:*:111122223333:instance/*",
            "arn:aws:ec2:*:111122223333:network-interface/*"
          ],
          "Condition": {
            "StringLike": {
              "aws:ResourceTag/vaultward.restore": "*"
            }
          }
        },
        {
          "Sid": "AttachOnlyRestoredVolumes",
          "Effect": "Allow",
          "Action": [
            "ec2:AttachVolume",
            "ec2:DetachVolume"
          ],
          "Resource": "arn:aws:ec2:*:111122223333:volume/*",
          "Condition": {
            "StringLike": {
              "aws:ResourceTag/vaultward.restore": "*"
            }
          }
        },
        {
          "Sid": "AttachToTheNamedInstance",
          "Effect": "Allow",
          "Action": [
            "ec2:AttachVolume",
            "ec2:DetachVolume"
          ],
          "Resource": "arn:aws:ec2:*:111122223333:instance/*"
        },
        {
          "Sid": "AssociateAddressesWithRestoredInstances",
          "Effect": "Allow",
          "Action": [
            "ec2:AssociateAddress"
          ],
          "Resource": [
            "arn:aws:ec2:*:111122223333:instance/*",
            "arn:aws:ec2:*:111122223333:network-interface/*"
          ],
          "Condition": {
            "StringLike": {
              "aws:ResourceTag/vaultward.restore": "*"
            }
          }
        },
        {
          "Sid": "AssociateAnyAddressOfTheAccount",
          "Effect": "Allow",
          "Action": [
            "ec2:AssociateAddress"
          ],
          "Resource": "arn:aws:ec2:*:111122223333:elastic-ip/*"
        },
        {
          "Sid": "LaunchRestoreTaggedInstances",
          "Effect": "Allow",
          "Action": [
            "ec2:RunInstances"
          ],
          "Resource": "arn:aws:ec2:*:111122223333:instance/*",
          "Condition": {
            "StringLike": {
              "aws:RequestTag/vaultward.restore": "*"
            },
            "Null": {
              "ec2:InstanceProfile": "true"
            }
          }
        },
        {
          "Sid": "LaunchWithRestoreTaggedVolumesAndInterfaces",
          "Effect": "Allow",
          "Action": [
            "ec2:RunInstances"
          ],
          "Resource": [
            "arn:aws:ec2:*:111122223333:volume/*",
            "arn:aws:ec2:*:111122223333:network-interface/*"
          ],
          "Condition": {
            "StringLike": {
              "aws:RequestTag/vaultward.restore": "*"
            }
          }
        },
        {
          "Sid": "LaunchOnlyFromTheAccountsImages",
          "Effect": "Allow",
          "Action": [
            "ec2:RunInstances"
          ],
          "Resource": [
            "arn:aws:ec2:*::image/*",
            "arn:aws:ec2:*::snapshot/*"
          ],
          "Condition": {
            "StringEquals": {
              "ec2:Owner": "111122223333"
            }
          }
        },
        {
          "Sid": "LaunchIntoTheAccountsNetwork",
          "Effect": "Allow",
          "Action": [
            "ec2:RunInstances"
          ],
          "Resource": [
            "arn:aws:ec2:*:111122223333:subnet/*",
            "arn:aws:ec2:*:111122223333:security-group/*",
            "arn:aws:ec2:*:111122223333:key-pair/*",
            "arn:aws:ec2:*:111122223333:placement-group/*"
          ]
        },
        {
          "Sid": "RegisterRestoredImages",
          "Effect": "Allow",
          "Action": [
            "ec2:RegisterImage"
          ],
          "Resource": "arn:aws:ec2:*::image/*",
          "Condition": {
            "StringLike": {
              "aws:RequestTag/vaultward.restore": "*"
            }
          }
        },
        {
          "Sid": "RegisterFromRestoredSnapshots",
          "Effect": "Allow",
          "Action": [
            "ec2:RegisterImage"
          ],
          "Resource": "arn:aws:ec2:*::snapshot/*",
          "Condition": {
            "StringLike": {
              "aws:ResourceTag/vaultward.restore": "*"
            }
          }
        },
        {
          "Sid": "DeregisterOnlyRestoredImages",
          "Effect": "Allow",
          "Action": [
            "ec2:DeregisterImage"
          ],
          "Resource": "arn:aws:ec2:*::image/*",
          "Condition": {
            "StringLike": {
              "aws:ResourceTag/vaultward.restore": "*"
            }
          }
        },
        {
          "Sid": "DenyDirectCreateTags",
          "Effect": "Deny",
          "Action": [
            "ec2:CreateTags"
          ],
          "Resource": [
            "arn:aws:ec2:*::snapshot/*",
            "arn:aws:ec2:*::image/*",
            "arn:aws:ec2:*:111122223333:volume/*",
            "arn:aws:ec2:*:111122223333:instance/*",
            "arn:aws:ec2:*:111122223333:network-interface/*"
          ],
          "Condition": {
            "Null": {
              "ec2:CreateAction": "true"
            }
          }
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

resource "aws_iam_role_policy_attachment" "backup_role_s3_restore_policy" {
  role       = aws_iam_role.backup_role.name
  policy_arn = aws_iam_policy.s3_restore_policy.arn
}

resource "aws_iam_role_policy_attachment" "backup_role_dynamo_db_backup_policy" {
  role       = aws_iam_role.backup_role.name
  policy_arn = aws_iam_policy.dynamo_db_backup_policy.arn
}

resource "aws_iam_role_policy_attachment" "backup_role_dynamo_db_restore_policy" {
  role       = aws_iam_role.backup_role.name
  policy_arn = aws_iam_policy.dynamo_db_restore_policy.arn
}

resource "aws_iam_role_policy_attachment" "backup_role_ec2_backup_policy" {
  role       = aws_iam_role.backup_role.name
  policy_arn = aws_iam_policy.ec2_backup_policy.arn
}

resource "aws_iam_role_policy_attachment" "backup_role_ec2_restore_policy" {
  role       = aws_iam_role.backup_role.name
  policy_arn = aws_iam_policy.ec2_restore_policy.arn
}

resource "aws_iam_role" "support_role" {
  name                 = "VaultwardSupportRole"
  path                 = "/vaultward/"
  description          = "Optional: lets the vendor's support open and follow support cases"
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

resource "aws_iam_role_policy" "vaultward_support_policy" {
  name = "VaultwardSupportPolicy"
  role = aws_iam_role.support_role.id

  policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "OpenAndReadSupportCases",
          "Effect": "Allow",
          "Action": [
            "support:AddAttachmentsToSet",
            "support:AddCommunicationToCase",
            "support:CreateCase",
            "support:DescribeAttachment",
            "support:DescribeCases",
            "support:DescribeCommunications",
            "support:DescribeCreateCaseOptions",
            "support:DescribeServices",
            "support:DescribeSeverityLevels",
            "support:DescribeSupportedLanguages",
            "support:DescribeTrustedAdvisorCheckRefreshStatuses",
            "support:DescribeTrustedAdvisorCheckResult",
            "support:DescribeTrustedAdvisorChecks",
            "support:DescribeTrustedAdvisorCheckSummaries"
          ],
          "Resource": "*"
        }
      ]
    }
  EOT
}

resource "aws_iam_role" "s3_continuous_backup_event_bridge_role" {
  name                 = "VaultwardS3ContinuousBackupEventBridgeRole"
  path                 = "/vaultward/"
  description          = "Used by EventBridge to forward S3 object events to the vendor's event bus"
  max_session_duration = 3600

  assume_role_policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "EventBridgeOfThisAccount",
          "Effect": "Allow",
          "Principal": {
            "Service": "events.amazonaws.com"
          },
          "Action": "sts:AssumeRole",
          "Condition": {
            "StringEquals": {
              "aws:SourceAccount": "111122223333"
            }
          }
        }
      ]
    }
  EOT
}

resource "aws_iam_role_policy" "vaultward_s3_continuous_backup_event_bridge_policy" {
  name = "VaultwardS3ContinuousBackupEventBridgePolicy"
  role = aws_iam_role.s3_continuous_backup_event_bridge_role.id

  policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "ForwardToVendorEventBus",
          "Effect": "Allow",
          "Action": "events:PutEvents",
          "Resource": "arn:aws:events:*:999988887777:event-bus/*"
        }
      ]
    }
  EOT
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
        "aws.s3",
        "aws.dynamodb",
        "aws.ec2"
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

resource "aws_cloudwatch_event_rule" "s3_continuous_backup" {
  provider = aws.us_east_1

  name = "VaultwardS3ContinuousBackup"

  event_pattern = <<-EOT
    {
      "source": [
        "aws.s3"
      ],
      "detail-type": [
        "Object Created",
        "Object Deleted"
      ]
    }
  EOT
}

resource "aws_cloudwatch_event_target" "s3_continuous_backup" {
  provider  = aws.us_east_1
  rule      = aws_cloudwatch_event_rule.s3_continuous_backup.name
  target_id = "VendorEventBus"
  arn       = "arn:aws:events:us-east-1:999988887777:event-bus/default"
  role_arn  = aws_iam_role.s3_continuous_backup_event_bridge_role.arn
}

resource "aws_cloudwatch_event_rule" "inventory_changes_eu_west1" {
  provider = aws.eu_west_1

  name = "VaultwardInventoryChanges"

  event_pattern = <<-EOT
    {
      "source": [
        "aws.s3",
        "aws.dynamodb",
        "aws.ec2"
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

resource "aws_cloudwatch_event_rule" "s3_continuous_backup_eu_west1" {
  provider = aws.eu_west_1

  name = "VaultwardS3ContinuousBackup"

  event_pattern = <<-EOT
    {
      "source": [
        "aws.s3"
      ],
      "detail-type": [
        "Object Created",
        "Object Deleted"
      ]
    }
  EOT
}

resource "aws_cloudwatch_event_target" "s3_continuous_backup_eu_west1" {
  provider  = aws.eu_west_1
  rule      = aws_cloudwatch_event_rule.s3_continuous_backup_eu_west1.name
  target_id = "VendorEventBus"
  arn       = "arn:aws:events:eu-west-1:999988887777:event-bus/default"
  role_arn  = aws_iam_role.s3_continuous_backup_event_bridge_role.arn
}

output "backup_role_arn" {
  description = "Give this ARN to the backup service"
  value       = aws_iam_role.backup_role.arn
}
