#!/usr/bin/env node
// The payments project (sceptre_project/) written as a CDK app: every environment, the same
// stacks and resources, the usual CDK way (L2 constructs where CDK has them, L1 where not).
// It exists to time `cdk synth` against the library's render (scripts/bench_render.py).
// Plain JavaScript, so nothing compiles TypeScript before CDK runs. CDK_VALIDATION=false turns
// off CDK's check of every template against CloudFormation's rules, most of the synthesis.
'use strict';

const cdk = require('aws-cdk-lib');
const apigw = require('aws-cdk-lib/aws-apigateway');
const acm = require('aws-cdk-lib/aws-certificatemanager');
const cloudfront = require('aws-cdk-lib/aws-cloudfront');
const origins = require('aws-cdk-lib/aws-cloudfront-origins');
const cw = require('aws-cdk-lib/aws-cloudwatch');
const cwActions = require('aws-cdk-lib/aws-cloudwatch-actions');
const codedeploy = require('aws-cdk-lib/aws-codedeploy');
const cognito = require('aws-cdk-lib/aws-cognito');
const dynamodb = require('aws-cdk-lib/aws-dynamodb');
const ec2 = require('aws-cdk-lib/aws-ec2');
const iam = require('aws-cdk-lib/aws-iam');
const kms = require('aws-cdk-lib/aws-kms');
const lambda = require('aws-cdk-lib/aws-lambda');
const logs = require('aws-cdk-lib/aws-logs');
const route53 = require('aws-cdk-lib/aws-route53');
const targets = require('aws-cdk-lib/aws-route53-targets');
const s3 = require('aws-cdk-lib/aws-s3');
const secretsmanager = require('aws-cdk-lib/aws-secretsmanager');
const signer = require('aws-cdk-lib/aws-signer');
const sns = require('aws-cdk-lib/aws-sns');
const subscriptions = require('aws-cdk-lib/aws-sns-subscriptions');
const wafv2 = require('aws-cdk-lib/aws-wafv2');
const { Duration, RemovalPolicy } = cdk;

const PROJECT = 'payments';
const REGION = 'eu-west-1';
const EDGE_REGION = 'us-east-1'; // CloudFront's certificates, web ACLs and metrics

// sceptre_project/config/<env>/config.yaml, the values the stacks differ by.
const ENVIRONMENTS = {
  dev: {
    account: '111111111111', domain: 'api.dev.example.com', logRetentionDays: 7,
    retainData: false, deletionProtection: false, customerManagedKeys: false, protectStacks: false,
    alarmEmails: ['payments-dev-alarms@example.com'], pageEmails: [],
    cidr: '10.10.0.0/16', capacity: { min: 1, max: 10 }, pointInTimeRecovery: false,
    logExpirationDays: 30, logsVersionProtection: false,
    memoryMb: 256, timeoutSeconds: 10, reservedConcurrency: 5, deployment: null, provisionedConcurrency: 0,
    rateLimit: 10, burstLimit: 20,
  },
  staging: {
    account: '222222222222', domain: 'api.staging.example.com', logRetentionDays: 30,
    retainData: true, deletionProtection: true, customerManagedKeys: true, protectStacks: true,
    alarmEmails: ['payments-staging-alarms@example.com'], pageEmails: [],
    cidr: '10.20.0.0/16', capacity: null, pointInTimeRecovery: true,
    logExpirationDays: 90, logsVersionProtection: true,
    memoryMb: 512, timeoutSeconds: 15, reservedConcurrency: 20,
    deployment: 'CANARY_10PERCENT_5MINUTES', provisionedConcurrency: 0,
    rateLimit: 50, burstLimit: 100,
  },
  prod: {
    account: '333333333333', domain: 'api.example.com', logRetentionDays: 365,
    retainData: true, deletionProtection: true, customerManagedKeys: true, protectStacks: true,
    alarmEmails: ['payments-alarms@example.com'], pageEmails: ['payments-oncall@example.com'],
    cidr: '10.30.0.0/16', capacity: null, pointInTimeRecovery: true,
    logExpirationDays: 365, logsVersionProtection: true,
    memoryMb: 1024, timeoutSeconds: 20, reservedConcurrency: 100,
    deployment: 'CANARY_10PERCENT_5MINUTES', provisionedConcurrency: 5,
    rateLimit: 500, burstLimit: 1000,
  },
};

// Helpers shared by the stacks.

function key(stack, e, id, description) {
  // A customer managed key where the environment asks for one (staging, prod).
  if (!e.customerManagedKeys) return undefined;
  return new kms.Key(stack, id, {
    description: `${e.prefix} ${description}`,
    alias: `${e.prefix}-${stack.part}`,
    enableKeyRotation: true,
    pendingWindow: Duration.days(30),
    removalPolicy: RemovalPolicy.RETAIN,
  });
}

function logsKey(stack, e, id, description) {
  // A key CloudWatch Logs may use for this stack's log groups.
  const k = key(stack, e, id, description);
  if (k) k.grantEncryptDecrypt(new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`));
  return k;
}

function topicByName(stack, e, name) {
  // Alarm topics are made by the monitoring and edge stacks, after the alarms: named, not referenced.
  return sns.Topic.fromTopicArn(stack, `${name}Topic`, stack.formatArn({ service: 'sns', resource: `${e.prefix}-${name}` }));
}

function alarm(stack, e, id, metric, props, topic = 'alarms') {
  const a = new cw.Alarm(stack, id, {
    metric,
    alarmName: `${e.prefix}-${props.name}`,
    alarmDescription: props.description,
    threshold: props.threshold,
    evaluationPeriods: props.evaluationPeriods ?? 5,
    datapointsToAlarm: props.datapointsToAlarm ?? 3,
    comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cw.TreatMissingData.NOT_BREACHING,
  });
  const action = new cwActions.SnsAction(stack.node.tryFindChild(`${topic}Topic`) ?? topicByName(stack, e, topic));
  a.addAlarmAction(action);
  a.addOkAction(action);
  return a;
}

function alarmTopics(stack, e) {
  // The alarms and pages topics, encrypted with a key CloudWatch may use.
  const topicsKey = new kms.Key(stack, 'AlarmTopicsKey', {
    description: `${e.prefix} alarm notifications`,
    alias: `${e.prefix}-alarm-topics`,
    enableKeyRotation: true,
    removalPolicy: e.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
  });
  const cloudwatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
  topicsKey.grant(cloudwatch, 'kms:Decrypt', 'kms:GenerateDataKey*');
  const topics = {};
  for (const [name, emails] of [['alarms', e.alarmEmails], ['pages', e.pageEmails]]) {
    const topic = new sns.Topic(stack, `${name}Topic`, {
      topicName: `${e.prefix}-${name}`, displayName: `${e.prefix} ${name}`, masterKey: topicsKey, enforceSSL: true,
    });
    topic.grantPublish(cloudwatch);
    for (const email of emails) topic.addSubscription(new subscriptions.EmailSubscription(email));
    topics[name] = topic;
  }
  return topics;
}

function removal(e) {
  return e.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
}

// The stacks, in the order they are launched.

function zoneStack(stack, e) {
  const zone = new route53.PublicHostedZone(stack, 'HostedZone', {
    zoneName: e.domain,
    comment: `${PROJECT} ${e.name} API; delegate from the parent zone`,
    caaAmazon: true,
  });
  return { zone };
}

function certificateStack(stack, e, { zone }) {
  const certificate = new acm.Certificate(stack, 'Certificate', {
    domainName: e.domain,
    validation: acm.CertificateValidation.fromDns(zone.zone),
    transparencyLoggingEnabled: true,
  });
  return { certificate };
}

function networkStack(stack, e) {
  const flowLogsKey = logsKey(stack, e, 'NetworkKey', 'VPC flow logs');
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    ipAddresses: ec2.IpAddresses.cidr(e.cidr),
    availabilityZones: [`${REGION}a`, `${REGION}b`], // no context lookup
    natGateways: 0,
    subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 19 }],
    gatewayEndpoints: {
      S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
      DynamoDb: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
    },
  });
  const flowLogGroup = new logs.LogGroup(stack, 'FlowLogGroup', {
    retention: e.logRetentionDays, encryptionKey: flowLogsKey, removalPolicy: removal(e),
  });
  vpc.addFlowLog('FlowLog', { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup) });

  // The functions reach only AWS APIs: the gateway endpoints' prefix lists and the interface endpoints.
  const s3PrefixList = new cdk.CfnParameter(stack, 'S3PrefixListId', { type: 'String' });
  const dynamoDbPrefixList = new cdk.CfnParameter(stack, 'DynamoDbPrefixListId', { type: 'String' });
  const lambdaSecurityGroup = new ec2.SecurityGroup(stack, 'LambdaSecurityGroup', {
    vpc, allowAllOutbound: false, securityGroupName: `${e.prefix}-lambda`,
    description: 'Lambda functions: no inbound, HTTPS outbound to AWS APIs only',
  });
  const endpointSecurityGroup = new ec2.SecurityGroup(stack, 'EndpointSecurityGroup', {
    vpc, allowAllOutbound: false, securityGroupName: `${e.prefix}-endpoints`,
    description: 'Interface VPC endpoints: HTTPS from the Lambda security group only',
  });
  lambdaSecurityGroup.addEgressRule(ec2.Peer.prefixList(s3PrefixList.valueAsString), ec2.Port.tcp(443), 'HTTPS to s3');
  lambdaSecurityGroup.addEgressRule(ec2.Peer.prefixList(dynamoDbPrefixList.valueAsString), ec2.Port.tcp(443), 'HTTPS to dynamodb');
  lambdaSecurityGroup.connections.allowTo(endpointSecurityGroup, ec2.Port.tcp(443), 'HTTPS to the interface endpoints');

  const secrets = vpc.addInterfaceEndpoint('SecretsManager', {
    service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER, securityGroups: [endpointSecurityGroup], open: false,
  });
  const inAccount = { StringEquals: { 'aws:PrincipalAccount': stack.account } };
  const anyone = [new iam.AnyPrincipal()];
  secrets.addToPolicy(new iam.PolicyStatement({
    principals: anyone, conditions: inAccount,
    actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
    resources: [stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${e.prefix}-*`, arnFormat: cdk.ArnFormat.COLON_RESOURCE_NAME })],
  }));
  secrets.addToPolicy(new iam.PolicyStatement({
    principals: anyone, conditions: inAccount, actions: ['secretsmanager:GetRandomPassword'], resources: ['*'],
  }));
  for (const [id, actions, resources] of [
    ['S3', ['s3:GetObject', 's3:PutObject'], [`arn:aws:s3:::*-${e.name}-${stack.account}-${stack.region}/*`]],
    ['DynamoDb', ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem',
      'dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:UpdateItem'],
    [stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: `${e.prefix}-*` })]],
  ]) {
    vpc.node.findChild(id).addToPolicy(new iam.PolicyStatement({ principals: anyone, conditions: inAccount, actions, resources }));
  }
  return { vpc, lambdaSecurityGroup };
}

function identityStack(stack, e) {
  const userPool = new cognito.UserPool(stack, 'UserPool', {
    userPoolName: `${e.prefix}-users`,
    selfSignUpEnabled: false,
    signInCaseSensitive: false,
    mfa: cognito.Mfa.OPTIONAL,
    mfaSecondFactor: { otp: true, sms: false },
    accountRecovery: cognito.AccountRecovery.NONE,
    passwordPolicy: {
      minLength: 12, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true,
      tempPasswordValidity: Duration.days(3),
    },
    deletionProtection: e.deletionProtection,
    removalPolicy: removal(e),
  });
  const read = new cognito.ResourceServerScope({
    scopeName: 'read', scopeDescription: "Read and list any customer's payments (read only; no back-office scope writes).",
  });
  userPool.addResourceServer('ApiResourceServer', { identifier: 'payments', userPoolResourceServerName: `${e.prefix}-api`, scopes: [read] });
  userPool.addDomain('AuthDomain', { cognitoDomain: { domainPrefix: `${e.prefix}-auth-${stack.account}` } });
  userPool.addClient('CustomerClient', {
    userPoolClientName: `${e.prefix}-customers`,
    authFlows: { userSrp: true },
    generateSecret: false,
    enableTokenRevocation: true,
    preventUserExistenceErrors: true,
    accessTokenValidity: Duration.minutes(60),
    idTokenValidity: Duration.minutes(60),
    refreshTokenValidity: Duration.days(30),
  });
  return { userPool };
}

function storageStack(stack, e) {
  const storageKey = key(stack, e, 'StorageKey', 'API logs and function packages');
  const encryption = storageKey
    ? { encryption: s3.BucketEncryption.KMS, encryptionKey: storageKey, bucketKeyEnabled: true }
    : { encryption: s3.BucketEncryption.S3_MANAGED };
  const common = {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL, enforceSSL: true, versioned: true, removalPolicy: removal(e),
  };
  const accessLogs = new s3.Bucket(stack, 'ServerAccessLogsBucket', {
    ...common,
    bucketName: `${e.prefix}-s3logs-${stack.account}-${stack.region}`,
    encryption: s3.BucketEncryption.S3_MANAGED,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    lifecycleRules: [{ id: 'expire-logs', expiration: Duration.days(e.logExpirationDays),
      noncurrentVersionExpiration: Duration.days(e.logExpirationDays), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
  });
  const artifacts = new s3.Bucket(stack, 'ArtifactsBucket', {
    ...common, ...encryption,
    bucketName: `${e.prefix}-artifacts-${stack.account}-${stack.region}`,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    serverAccessLogsBucket: accessLogs, serverAccessLogsPrefix: 's3-access/artifacts/',
    lifecycleRules: [{ id: 'expire-replaced-artifacts', noncurrentVersionExpiration: Duration.days(30),
      abortIncompleteMultipartUploadAfter: Duration.days(1) }],
  });
  // CloudFront's standard logs need ACLs: the owner is preferred, not enforced.
  const logsBucket = new s3.Bucket(stack, 'LogsBucket', {
    ...common, ...encryption,
    bucketName: `api-logs-${e.name}-${stack.account}-${stack.region}`,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
    serverAccessLogsBucket: accessLogs, serverAccessLogsPrefix: 's3-access/logs/',
    lifecycleRules: [{ id: 'expire-logs', expiration: Duration.days(e.logExpirationDays),
      noncurrentVersionExpiration: Duration.days(e.logExpirationDays), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
  });
  if (e.logsVersionProtection) {
    logsBucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'KeepEveryLogVersion', effect: iam.Effect.DENY, principals: [new iam.AnyPrincipal()],
      actions: ['s3:DeleteObjectVersion'], resources: [logsBucket.arnForObjects('*')],
    }));
  }
  const signingProfile = new signer.SigningProfile(stack, 'LambdaSigningProfile', {
    platform: signer.Platform.AWS_LAMBDA_SHA384_ECDSA, signatureValidity: Duration.days(135 * 30),
  });
  return { artifacts, logsBucket, signingProfile };
}

const TABLES = [
  { id: 'Transactions', name: 'transactions', partitionKey: 'transactionId', sortKey: ['timestamp', dynamodb.AttributeType.NUMBER],
    index: { indexName: 'CustomerIndex', partitionKey: 'customerId', sortKey: ['timestamp', dynamodb.AttributeType.NUMBER] } },
  { id: 'Sessions', name: 'sessions', partitionKey: 'sessionId', ttl: 'expiresAt' },
  { id: 'Idempotency', name: 'idempotency', partitionKey: 'idempotencyKey', ttl: 'expiresAt' },
];
const OPERATIONS = [dynamodb.Operation.GET_ITEM, dynamodb.Operation.PUT_ITEM, dynamodb.Operation.UPDATE_ITEM,
  dynamodb.Operation.DELETE_ITEM, dynamodb.Operation.QUERY, dynamodb.Operation.TRANSACT_WRITE_ITEMS];

function dataStack(stack, e) {
  const dataKey = key(stack, e, 'DataKey', 'tables');
  const tables = {};
  const alarms = [];
  for (const t of TABLES) {
    const attribute = (name, type = dynamodb.AttributeType.STRING) => ({ name, type });
    const table = new dynamodb.Table(stack, `${t.id}Table`, {
      tableName: `${e.prefix}-${t.name}`,
      partitionKey: attribute(t.partitionKey),
      sortKey: t.sortKey ? attribute(...t.sortKey) : undefined,
      billingMode: e.capacity ? dynamodb.BillingMode.PROVISIONED : dynamodb.BillingMode.PAY_PER_REQUEST,
      readCapacity: e.capacity ? e.capacity.min : undefined,
      writeCapacity: e.capacity ? e.capacity.min : undefined,
      encryption: dataKey ? dynamodb.TableEncryption.CUSTOMER_MANAGED : dynamodb.TableEncryption.AWS_MANAGED,
      encryptionKey: dataKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: e.pointInTimeRecovery },
      deletionProtection: e.deletionProtection,
      timeToLiveAttribute: t.ttl,
      removalPolicy: removal(e),
    });
    if (t.index) {
      table.addGlobalSecondaryIndex({
        indexName: t.index.indexName, partitionKey: attribute(t.index.partitionKey), sortKey: attribute(...t.index.sortKey),
        readCapacity: e.capacity ? e.capacity.min : undefined, writeCapacity: e.capacity ? e.capacity.min : undefined,
      });
    }
    if (e.capacity) {
      // Auto scaling at 70% utilisation, the table's and its index's.
      const range = { minCapacity: e.capacity.min, maxCapacity: e.capacity.max };
      table.autoScaleReadCapacity(range).scaleOnUtilization({ targetUtilizationPercent: 70 });
      table.autoScaleWriteCapacity(range).scaleOnUtilization({ targetUtilizationPercent: 70 });
      if (t.index) {
        table.autoScaleGlobalSecondaryIndexReadCapacity(t.index.indexName, range).scaleOnUtilization({ targetUtilizationPercent: 70 });
        table.autoScaleGlobalSecondaryIndexWriteCapacity(t.index.indexName, range).scaleOnUtilization({ targetUtilizationPercent: 70 });
      }
    }
    alarms.push(alarm(stack, e, `${t.id}TableSystemErrorsAlarm`,
      table.metricSystemErrorsForOperations({ operations: OPERATIONS, period: Duration.minutes(1) }),
      { name: `${t.name}-system-errors`, threshold: 1,
        description: `DynamoDB answered requests on the ${t.name} table with internal errors (HTTP 500).` }));
    alarms.push(alarm(stack, e, `${t.id}TableThrottlesAlarm`,
      new cw.MathExpression({
        expression: 'reads + writes',
        usingMetrics: {
          reads: table.metric('ReadThrottleEvents', { statistic: 'Sum', period: Duration.minutes(1) }),
          writes: table.metric('WriteThrottleEvents', { statistic: 'Sum', period: Duration.minutes(1) }),
        },
        period: Duration.minutes(1),
      }),
      { name: `${t.name}-throttles`, threshold: 1,
        description: `The ${t.name} table (or an index) throttled reads or writes: callers see errors.` }));
    tables[t.name] = table;
  }
  return { tables, alarms };
}

const FUNCTIONS = [
  { id: 'PaymentProcessor', name: 'payment-processor', description: 'Records and reads payment transactions',
    tables: ['transactions', 'idempotency'], cursorSecret: true,
    environment: { ALLOWED_CURRENCIES: 'EUR,USD,GBP', IDEMPOTENCY_TTL_SECONDS: '86400', MAX_PAYMENT_AMOUNT: '10000.00' } },
  { id: 'SessionManager', name: 'session-manager', description: 'Starts, reads and ends customer sessions',
    tables: ['sessions'], environment: { SESSION_TTL_SECONDS: '3600' } },
  { id: 'SecretRotator', name: 'secret-rotator', description: 'Rotates the cursor signing key',
    tables: [], rotator: true, environment: {} },
];

function functionsStack(stack, e, { network, storage, data }) {
  const functionsKey = logsKey(stack, e, 'FunctionsKey', 'function environments, logs and secrets');
  const codeSigningConfig = new lambda.CodeSigningConfig(stack, 'CodeSigningConfig', {
    signingProfiles: [storage.signingProfile],
    untrustedArtifactOnDeployment: lambda.UntrustedArtifactOnDeployment.ENFORCE,
    description: `${e.prefix} functions: packages signed by the storage stack's profile only`,
  });
  const cursorSecret = new secretsmanager.Secret(stack, 'CursorSigningSecret', {
    secretName: `${e.prefix}-cursor-signing-key`,
    description: 'HMAC key of the payment list cursors, rotated by the secret-rotator function',
    encryptionKey: functionsKey,
    generateSecretString: { excludePunctuation: true, passwordLength: 64 },
    removalPolicy: removal(e),
  });
  // Packages are content-addressed: a new package is a new key, no object version needed.
  cdk.Annotations.of(storage.artifacts).acknowledgeWarning('@aws-cdk/aws-lambda:codeFromBucketObjectVersionNotSpecified');
  cdk.Validations.of(stack).acknowledge({ id: 'CloudFormation-Validate::W2509', reason: 'the CodeKey parameters are S3 keys, not passwords' });
  const application = e.deployment
    ? new codedeploy.LambdaApplication(stack, 'DeploymentApplication', { applicationName: `${e.prefix}-functions` })
    : undefined;
  const aliases = {};
  const alarms = [];
  for (const f of FUNCTIONS) {
    const functionName = `${e.prefix}-${f.name}`;
    // Packaged, signed and uploaded by the pipeline; the stack takes the object's key.
    const codeKey = new cdk.CfnParameter(stack, `${f.id}CodeKey`, { type: 'String' });
    const logGroup = new logs.LogGroup(stack, `${f.id}LogGroup`, {
      logGroupName: `/aws/lambda/${functionName}`, retention: e.logRetentionDays, encryptionKey: functionsKey,
      removalPolicy: removal(e),
    });
    const environment = { LOG_LEVEL: 'INFO', ...f.environment };
    if (!f.rotator) Object.assign(environment, { POWERTOOLS_METRICS_NAMESPACE: PROJECT, POWERTOOLS_SERVICE_NAME: f.name });
    for (const table of f.tables) environment[`${table.toUpperCase()}_TABLE`] = data.tables[table].tableName;
    if (f.cursorSecret) environment.CURSOR_SECRET_ARN = cursorSecret.secretArn;
    const memorySize = f.rotator ? 128 : e.memoryMb;
    const timeoutSeconds = f.rotator ? 30 : e.timeoutSeconds;
    const reserved = f.rotator ? 1 : e.reservedConcurrency;
    const fn = new lambda.Function(stack, `${f.id}Function`, {
      functionName, description: f.description,
      runtime: lambda.Runtime.PYTHON_3_12, architecture: lambda.Architecture.ARM_64, handler: 'handler.handler',
      code: lambda.Code.fromBucket(storage.artifacts, codeKey.valueAsString),
      memorySize, timeout: Duration.seconds(timeoutSeconds), reservedConcurrentExecutions: reserved,
      environment, environmentEncryption: functionsKey, logGroup, tracing: lambda.Tracing.ACTIVE,
      vpc: network.vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [network.lambdaSecurityGroup], allowPublicSubnet: false,
      codeSigningConfig,
    });
    for (const table of f.tables) data.tables[table].grantReadWriteData(fn);
    if (f.cursorSecret) cursorSecret.grantRead(fn);
    if (f.rotator) cursorSecret.grantWrite(fn);
    const alias = new lambda.Alias(stack, `${f.id}Alias`, {
      aliasName: 'live', version: fn.currentVersion, description: `What callers of ${f.name} invoke`,
      provisionedConcurrentExecutions: f.id === 'PaymentProcessor' && e.provisionedConcurrency ? e.provisionedConcurrency : undefined,
    });
    const minute = { period: Duration.minutes(1) };
    const logsAt = `Logs: /aws/lambda/${functionName}.`;
    const own = [
      alarm(stack, e, `${f.id}ErrorsAlarm`, fn.metricErrors({ ...minute, statistic: 'Sum' }),
        { name: `${f.name}-errors`, threshold: 1, description: `${functionName} failed invocations in 3 of 5 minutes. ${logsAt}` }),
      alarm(stack, e, `${f.id}ThrottlesAlarm`, fn.metricThrottles({ ...minute, statistic: 'Sum' }),
        { name: `${f.name}-throttles`, threshold: 1, description: `${functionName} refused invocations in 3 of 5 minutes. ${logsAt}` }),
      alarm(stack, e, `${f.id}DurationAlarm`, fn.metricDuration({ ...minute, statistic: 'p99' }),
        { name: `${f.name}-duration`, threshold: timeoutSeconds * 800, description: `${functionName}'s p99 duration reached 80% of its timeout. ${logsAt}` }),
      alarm(stack, e, `${f.id}ConcurrencyAlarm`, fn.metric('ConcurrentExecutions', { ...minute, statistic: 'Maximum' }),
        { name: `${f.name}-concurrency`, threshold: Math.ceil(reserved * 0.8), description: `${functionName} is about to be throttled. ${logsAt}` }),
    ];
    alarms.push(...own);
    if (application) {
      // New versions take the alias step by step, rolled back when an alarm fires.
      new codedeploy.LambdaDeploymentGroup(stack, `${f.id}DeploymentGroup`, {
        application, alias, alarms: own, deploymentGroupName: f.name,
        deploymentConfig: codedeploy.LambdaDeploymentConfig[e.deployment],
        autoRollback: { failedDeployment: true, stoppedDeployment: false, deploymentInAlarm: true },
      });
    }
    aliases[f.name] = alias;
  }
  cursorSecret.addRotationSchedule('CursorSigningSecretRotation', {
    rotationLambda: aliases['secret-rotator'], automaticallyAfter: Duration.days(30), rotateImmediatelyOnUpdate: false,
  });
  return { aliases, alarms };
}

function edgeStack(stack, e) {
  const edgeKey = logsKey(stack, e, 'EdgeKey', 'web ACL logs and origin secret');
  const topics = alarmTopics(stack, e);
  const originSecret = new secretsmanager.Secret(stack, 'OriginVerifySecret', {
    secretName: `${e.prefix}-origin-verify`,
    description: 'Value CloudFront sends in X-Origin-Verify (current) and the one before it (previous)',
    encryptionKey: edgeKey,
    generateSecretString: { excludePunctuation: true, passwordLength: 64, secretStringTemplate: '{}', generateStringKey: 'current' },
    removalPolicy: removal(e),
  });
  const json = (code, message) => JSON.stringify({ error: { code, message } });
  const managed = ['AWSManagedRulesAmazonIpReputationList', 'AWSManagedRulesKnownBadInputsRuleSet', 'AWSManagedRulesCommonRuleSet'];
  const visibility = (name) => ({ cloudWatchMetricsEnabled: true, metricName: name, sampledRequestsEnabled: true });
  const block = (bodyKey, responseCode) => ({ block: { customResponse: { customResponseBodyKey: bodyKey, responseCode } } });
  const webAclName = `${e.prefix}-edge`;
  const webAcl = new wafv2.CfnWebACL(stack, 'WebAcl', {
    name: webAclName, scope: 'CLOUDFRONT', defaultAction: { allow: {} },
    description: 'Edge protection, mode block: rate limit per client IP and AWS managed rules',
    visibilityConfig: visibility(webAclName),
    customResponseBodies: {
      Forbidden: { contentType: 'APPLICATION_JSON', content: json('Forbidden', 'request refused by the web application firewall') },
      TooManyRequests: { contentType: 'APPLICATION_JSON', content: json('TooManyRequests', 'too many requests from this address') },
    },
    rules: [
      { name: 'RateLimitPerClientIp', priority: 0, action: block('TooManyRequests', 429), visibilityConfig: visibility('RateLimitPerClientIp'),
        statement: { rateBasedStatement: { limit: 2000, aggregateKeyType: 'IP' } } },
      // Managed rules count (label) here; the rules after them refuse what they labelled.
      ...managed.map((name, i) => ({
        name, priority: 1 + i, overrideAction: { count: {} }, visibilityConfig: visibility(name),
        statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
      })),
      ...managed.map((name, i) => ({
        name: `Refuse${name}`, priority: 4 + i, action: block('Forbidden', 403), visibilityConfig: visibility(`Refuse${name}`),
        statement: { labelMatchStatement: { scope: 'NAMESPACE', key: `awswaf:managed:aws:${name.replace('AWSManagedRules', '').toLowerCase()}:` } },
      })),
    ],
  });
  const webAclLogs = new logs.LogGroup(stack, 'WebAclLogGroup', {
    logGroupName: `aws-waf-logs-${e.prefix}`, retention: e.logRetentionDays, encryptionKey: edgeKey, removalPolicy: removal(e),
  });
  new wafv2.CfnLoggingConfiguration(stack, 'WebAclLogging', {
    resourceArn: webAcl.attrArn, logDestinationConfigs: [webAclLogs.logGroupArn],
    redactedFields: [{ singleHeader: { Name: 'authorization' } }],
  });
  alarm(stack, e, 'BlockedRequestsAlarm',
    new cw.Metric({ namespace: 'AWS/WAFV2', metricName: 'BlockedRequests', dimensionsMap: { WebACL: webAclName, Rule: 'ALL' },
      statistic: 'Sum', period: Duration.minutes(5) }),
    { name: 'edge-blocked-requests', threshold: 1000, evaluationPeriods: 1, datapointsToAlarm: 1,
      description: 'The edge web ACL refused more than 1000 requests in 5 minutes.' });
  return { webAcl, originSecret, topics };
}

const ROUTES = [
  // method, path, function, operation, scopes beyond the customer's, request parameters
  ['POST', 'payments', 'payment-processor', 'createPayment', [], { 'method.request.header.Idempotency-Key': true }, 'PaymentRequest'],
  ['GET', 'payments/{transactionId}', 'payment-processor', 'getPayment', ['payments/read'], { 'method.request.path.transactionId': true }],
  ['GET', 'customers/{customerId}/payments', 'payment-processor', 'listCustomerPayments', ['payments/read'],
    { 'method.request.path.customerId': true, 'method.request.querystring.cursor': false, 'method.request.querystring.limit': false }],
  ['POST', 'sessions', 'session-manager', 'createSession', [], {}, 'SessionRequest'],
  ['GET', 'sessions/{sessionId}', 'session-manager', 'getSession', [], { 'method.request.path.sessionId': true }],
  ['DELETE', 'sessions/{sessionId}', 'session-manager', 'endSession', [], { 'method.request.path.sessionId': true }],
];
const MODELS = {
  PaymentRequest: {
    type: apigw.JsonSchemaType.OBJECT, additionalProperties: false, required: ['amount', 'currency'],
    properties: {
      customerId: { type: apigw.JsonSchemaType.STRING, pattern: '^[A-Za-z0-9_-]{1,64}$' },
      amount: { type: apigw.JsonSchemaType.STRING, pattern: '^(0|[1-9][0-9]{0,11})(\\.[0-9]{1,4})?$' },
      currency: { type: apigw.JsonSchemaType.STRING, pattern: '^[A-Z]{3}$' },
      description: { type: apigw.JsonSchemaType.STRING, maxLength: 200 },
    },
  },
  SessionRequest: {
    type: apigw.JsonSchemaType.OBJECT, additionalProperties: false, required: ['customerId'],
    properties: { customerId: { type: apigw.JsonSchemaType.STRING, pattern: '^[A-Za-z0-9_-]{1,64}$' } },
  },
};

function apiStack(stack, e, { identity, functions }) {
  const apiKey = logsKey(stack, e, 'ApiKey', 'API access and execution logs');
  const apiName = `${e.prefix}-api`;
  const accessLogs = new logs.LogGroup(stack, 'AccessLogGroup', {
    logGroupName: `/aws/apigateway/${apiName}/access`, retention: e.logRetentionDays, encryptionKey: apiKey, removalPolicy: removal(e),
  });
  const api = new apigw.RestApi(stack, 'RestApi', {
    restApiName: apiName, description: `${PROJECT} payments and sessions API`,
    endpointTypes: [apigw.EndpointType.REGIONAL],
    cloudWatchRole: false, // the account's bootstrap sets API Gateway's logging role
    deployOptions: {
      stageName: 'v1', tracingEnabled: true, metricsEnabled: true, dataTraceEnabled: false,
      loggingLevel: apigw.MethodLoggingLevel.INFO,
      throttlingRateLimit: e.rateLimit, throttlingBurstLimit: e.burstLimit,
      accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
      accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
    },
  });
  new logs.LogGroup(stack, 'ExecutionLogGroup', {
    logGroupName: `API-Gateway-Execution-Logs_${api.restApiId}/v1`, retention: e.logRetentionDays, encryptionKey: apiKey,
    removalPolicy: removal(e),
  });
  const authorizer = new apigw.CognitoUserPoolsAuthorizer(stack, 'CognitoAuthorizer', {
    authorizerName: 'cognito-user-pool', cognitoUserPools: [identity.userPool],
  });
  const requestValidator = api.addRequestValidator('RequestValidator', {
    requestValidatorName: 'body-and-parameters', validateRequestBody: true, validateRequestParameters: true,
  });
  const models = {};
  for (const [name, schema] of Object.entries(MODELS)) {
    models[name] = api.addModel(`${name}Model`, {
      modelName: name, contentType: 'application/json',
      schema: { schema: apigw.JsonSchemaVersion.DRAFT4, title: name, ...schema },
    });
  }
  const integrations = {};
  for (const [method, path, fn, operationName, scopes, requestParameters, model] of ROUTES) {
    integrations[fn] ??= new apigw.LambdaIntegration(functions.aliases[fn]);
    const resource = api.root.resourceForPath(path);
    resource.addMethod(method, integrations[fn], {
      operationName, authorizer, authorizationType: apigw.AuthorizationType.COGNITO,
      authorizationScopes: ['aws.cognito.signin.user.admin', ...scopes],
      requestParameters, requestValidator, requestModels: model ? { 'application/json': models[model] } : undefined,
    });
  }
  // Errors API Gateway answers itself, in the functions' JSON error shape.
  for (const [id, type, code] of [
    ['BadRequestBody', apigw.ResponseType.BAD_REQUEST_BODY, 'InvalidRequest'],
    ['BadRequestParameters', apigw.ResponseType.BAD_REQUEST_PARAMETERS, 'InvalidRequest'],
    ['Default4xx', apigw.ResponseType.DEFAULT_4XX, 'ClientError'],
    ['Default5xx', apigw.ResponseType.DEFAULT_5XX, 'InternalError'],
    ['Throttled', apigw.ResponseType.THROTTLED, 'TooManyRequests'],
    ['Unauthorized', apigw.ResponseType.UNAUTHORIZED, 'Unauthorized'],
  ]) {
    api.addGatewayResponse(`${id}Response`, {
      type,
      templates: { 'application/json': `{"error": {"code": "${code}", "message": $context.error.messageString}}` },
      responseHeaders: { 'X-Content-Type-Options': "'nosniff'" },
    });
  }
  const minute = { period: Duration.minutes(1) };
  const alarms = [
    alarm(stack, e, 'Api5xxRateAlarm', api.deploymentStage.metricServerError({ ...minute, statistic: 'Average' }),
      { name: 'api-5xx-rate', threshold: 0.01, description: 'More than 1.0% of API requests failed with a 5XX.' }),
    alarm(stack, e, 'ApiLatencyAlarm', api.deploymentStage.metricLatency({ ...minute, statistic: 'p99' }),
      { name: 'api-p99-latency', threshold: 3000, description: 'The slowest 1% of API requests took more than 3000 ms.' }),
  ];
  // The stage admits only requests that came through the distribution: they carry the origin
  // secret's current or previous value (read at deployment: `cdk deploy --parameters`).
  const verify = ['Current', 'Previous'].map((which) => new cdk.CfnParameter(stack, `OriginVerify${which}`, { type: 'String', noEcho: true }));
  const forbidden = { block: { customResponse: { customResponseBodyKey: 'Forbidden', responseCode: 403 } } };
  const originAcl = new wafv2.CfnWebACL(stack, 'OriginWebAcl', {
    name: `${e.prefix}-origin`, scope: 'REGIONAL', defaultAction: forbidden,
    description: 'Admits only requests that came through the CloudFront distribution',
    visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: `${e.prefix}-origin`, sampledRequestsEnabled: true },
    customResponseBodies: {
      Forbidden: { contentType: 'APPLICATION_JSON', content: JSON.stringify({ error: { code: 'Forbidden', message: 'call the API through its domain name' } }) },
    },
    rules: [{
      name: 'AllowThroughDistribution', priority: 0, action: { allow: {} },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'AllowThroughDistribution', sampledRequestsEnabled: true },
      statement: { orStatement: { statements: verify.map((p) => ({ byteMatchStatement: {
        fieldToMatch: { singleHeader: { Name: 'x-origin-verify' } }, positionalConstraint: 'EXACTLY',
        searchString: p.valueAsString, textTransformations: [{ priority: 0, type: 'NONE' }],
      } })) } },
    }],
  });
  new wafv2.CfnWebACLAssociation(stack, 'OriginWebAclAssociation', {
    resourceArn: api.deploymentStage.stageArn, webAclArn: originAcl.attrArn,
  });
  return { api, alarms };
}

function cdnStack(stack, e, { zone, certificate, storage, edge, api }) {
  const securityHeaders = new cloudfront.ResponseHeadersPolicy(stack, 'SecurityHeadersPolicy', {
    responseHeadersPolicyName: `${e.prefix}-security-headers`, comment: 'Security headers on every API response',
    securityHeadersBehavior: {
      contentSecurityPolicy: { contentSecurityPolicy: "default-src 'none'; frame-ancestors 'none'", override: true },
      contentTypeOptions: { override: true },
      frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
      referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      strictTransportSecurity: { accessControlMaxAge: Duration.seconds(63072000), includeSubdomains: true, preload: true, override: true },
      xssProtection: { protection: true, modeBlock: true, override: true },
    },
  });
  const originVerify = new cdk.CfnParameter(stack, 'OriginVerify', { type: 'String', noEcho: true });
  const apiDomain = `${api.api.restApiId}.execute-api.${REGION}.${cdk.Aws.URL_SUFFIX}`;
  const distribution = new cloudfront.Distribution(stack, 'Distribution', {
    comment: `${PROJECT} ${e.name} API`,
    domainNames: [e.domain], certificate: certificate.certificate,
    webAclId: edge.webAcl.attrArn,
    httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
    enableIpv6: true,
    enableLogging: true, logBucket: storage.logsBucket, logFilePrefix: 'cloudfront/', logIncludesCookies: false,
    minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
    defaultBehavior: {
      origin: new origins.HttpOrigin(apiDomain, {
        originId: 'api', originPath: `/${api.api.deploymentStage.stageName}`,
        protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
        customHeaders: { 'X-Origin-Verify': originVerify.valueAsString },
      }),
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      responseHeadersPolicy: securityHeaders,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
    },
  });
  const target = route53.RecordTarget.fromAlias(new targets.CloudFrontTarget(distribution));
  new route53.ARecord(stack, 'AliasARecord', { zone: zone.zone, target });
  new route53.AaaaRecord(stack, 'AliasAAAARecord', { zone: zone.zone, target });
  alarm(stack, e, 'Distribution5xxRateAlarm', distribution.metric5xxErrorRate({ period: Duration.minutes(1), statistic: 'Average' }),
    { name: 'edge-5xx-rate', threshold: 1, description: `More than 1.0% of requests to ${e.domain} were answered 5xx by CloudFront.` },
    'pages');
  return { distribution };
}

function monitoringStack(stack, e, { data, functions, api }) {
  alarmTopics(stack, e);
  const all = [...api.alarms, ...functions.alarms, ...data.alarms];
  const unhealthy = new cw.CompositeAlarm(stack, 'PaymentsUnhealthyAlarm', {
    compositeAlarmName: `${e.prefix}-payments-unhealthy`,
    alarmDescription: `Payments in ${e.name} are failing or about to: one of ${all.length} alarms of the API, the functions or the tables fired.`,
    alarmRule: cw.AlarmRule.anyOf(...all.map((a) => cw.AlarmRule.fromAlarm(a, cw.AlarmState.ALARM))),
  });
  unhealthy.addAlarmAction(new cwActions.SnsAction(stack.node.findChild('pagesTopic')));
  const graph = (title, metrics, props = {}) => new cw.GraphWidget({ title, left: metrics, width: 6, height: 6, ...props });
  const sum = { statistic: 'Sum', period: Duration.minutes(1) };
  const custom = (name, service) => new cw.Metric({ namespace: PROJECT, metricName: name, dimensionsMap: { service }, ...sum });
  const search = (id, query, statistic) => new cw.MathExpression({ expression: `SEARCH('${query}', '${statistic}')`, label: id, usingMetrics: {} });
  const lambdaMetric = (name, statistic) => FUNCTIONS.map((f) => new cw.Metric({
    namespace: 'AWS/Lambda', metricName: name, dimensionsMap: { FunctionName: `${e.prefix}-${f.name}` }, statistic,
  }));
  const tables = Object.values(data.tables);
  const stage = api.api.deploymentStage;
  new cw.Dashboard(stack, 'Dashboard', {
    dashboardName: e.prefix,
    widgets: [
      [new cw.TextWidget({ markdown: '## Payments', width: 24, height: 1 })],
      [
        graph('Payments recorded and replayed', [custom('PaymentsRecorded', 'payment-processor'), custom('IdempotentReplays', 'payment-processor')]),
        graph('Sessions started and ended', [custom('SessionsStarted', 'session-manager'), custom('SessionsEnded', 'session-manager')]),
        graph('Refusals by code', [search('refusals', '{payments,Code,service} MetricName="Refusals"', 'Sum')]),
        graph('Authorization refusals and internal errors', [
          search('authorizationRefusals', '{payments,service} MetricName="AuthorizationRefusals"', 'Sum'),
          search('internalErrors', '{payments,service} MetricName="InternalErrors"', 'Sum')]),
      ],
      [new cw.TextWidget({ markdown: '## Edge (CloudFront and its web ACL, us-east-1)', width: 24, height: 1 })],
      [
        graph('Requests', [search('requests', '{AWS/CloudFront,DistributionId,Region} MetricName="Requests"', 'Sum')]),
        graph('Error rate (%)', [
          search('e5', '{AWS/CloudFront,DistributionId,Region} MetricName="5xxErrorRate"', 'Average'),
          search('e4', '{AWS/CloudFront,DistributionId,Region} MetricName="4xxErrorRate"', 'Average')]),
        graph('Web ACL: allowed and blocked', ['AllowedRequests', 'BlockedRequests'].map((metricName) => new cw.Metric({
          namespace: 'AWS/WAFV2', metricName, dimensionsMap: { WebACL: `${e.prefix}-edge`, Rule: 'ALL' }, region: EDGE_REGION, ...sum }))),
      ],
      [new cw.TextWidget({ markdown: '## API', width: 24, height: 1 })],
      [
        graph('Requests', [stage.metricCount(sum)]),
        graph('Errors', [stage.metricServerError(sum), stage.metricClientError(sum)]),
        graph('Latency (ms)', [stage.metricLatency({ statistic: 'p50' }), stage.metricLatency({ statistic: 'p99' }),
          stage.metricIntegrationLatency({ statistic: 'p99' })]),
      ],
      [new cw.TextWidget({ markdown: '## Functions', width: 24, height: 1 })],
      [
        graph('Invocations', lambdaMetric('Invocations', 'Sum')),
        graph('Errors and throttles', [...lambdaMetric('Errors', 'Sum'), ...lambdaMetric('Throttles', 'Sum')]),
        graph('Duration p99 (ms)', lambdaMetric('Duration', 'p99')),
        graph('Concurrent executions', lambdaMetric('ConcurrentExecutions', 'Maximum')),
      ],
      [new cw.TextWidget({ markdown: '## Tables', width: 24, height: 1 })],
      [
        graph('Consumed capacity', [...tables.map((t) => t.metricConsumedReadCapacityUnits()), ...tables.map((t) => t.metricConsumedWriteCapacityUnits())]),
        graph('Throttled reads and writes', [...tables.map((t) => t.metric('ReadThrottleEvents', sum)), ...tables.map((t) => t.metric('WriteThrottleEvents', sum))]),
        graph('Request latency (ms)', tables.map((t) => t.metricSuccessfulRequestLatency({ dimensionsMap: { TableName: t.tableName, Operation: 'GetItem' }, statistic: 'p99' }))),
      ],
    ],
  });
  return {};
}

// Every stack, in launch order: its builder, its region, what it takes from the stacks before it.
const STACKS = {
  zone: { build: zoneStack, region: REGION, needs: [] },
  certificate: { build: certificateStack, region: EDGE_REGION, needs: ['zone'] },
  network: { build: networkStack, region: REGION, needs: [] },
  identity: { build: identityStack, region: REGION, needs: [] },
  storage: { build: storageStack, region: REGION, needs: [] },
  data: { build: dataStack, region: REGION, needs: [] },
  functions: { build: functionsStack, region: REGION, needs: ['network', 'storage', 'data'] },
  edge: { build: edgeStack, region: EDGE_REGION, needs: [] },
  api: { build: apiStack, region: REGION, needs: ['identity', 'functions', 'edge'] },
  cdn: { build: cdnStack, region: EDGE_REGION, needs: ['zone', 'certificate', 'storage', 'edge', 'api'] },
  monitoring: { build: monitoringStack, region: REGION, needs: ['data', 'functions', 'api'] },
};

const app = new cdk.App();
for (const [name, settings] of Object.entries(ENVIRONMENTS)) {
  const e = { ...settings, name, prefix: `${PROJECT}-${name}` };
  const built = {};
  const stacks = {};
  for (const [part, { build, region, needs }] of Object.entries(STACKS)) {
    const stack = new cdk.Stack(app, `${e.prefix}-${part}`, {
      env: { account: e.account, region }, // explicit: no context lookups
      crossRegionReferences: true, // certificate and cdn (us-east-1) take values from eu-west-1 stacks
      terminationProtection: e.protectStacks,
      description: `${PROJECT} ${name} ${part}`,
    });
    stack.part = part;
    for (const [tag, value] of Object.entries({ Project: PROJECT, Environment: name, Stack: part, ManagedBy: 'cdk' })) {
      cdk.Tags.of(stack).add(tag, value);
    }
    for (const need of needs) stack.addStackDependency(stacks[need]); // also where nothing is referenced (api waits for edge's secret)
    built[part] = build(stack, e, Object.fromEntries(needs.map((n) => [n, built[n]])));
    stacks[part] = stack;
  }
}
app.synth();
