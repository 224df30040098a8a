//! The one place the AWS SDK is configured. Every client is made from the
//! [`SdkConfig`] built here, so region, endpoint, retries and timeouts never
//! differ between the ECS and CloudWatch Logs calls of one run.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

/// How long to wait for a TCP connection; a sandbox or endpoint that is not
/// there should fail in seconds, not minutes.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// One attempt of one call, and one call with all its retries. ECS answers
/// in well under a second; these only stop a hung connection.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);
const OPERATION_TIMEOUT: Duration = Duration::from_secs(90);
/// Throttled calls get room to recover: parallel runs against one account
/// share ECS's request buckets.
const MAX_ATTEMPTS: u32 = 8;

/// The clients one run uses.
#[derive(Debug, Clone)]
pub struct Clients {
    pub ecs: aws_sdk_ecs::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
}

impl Clients {
    pub fn from_config(config: &SdkConfig) -> Self {
        Clients {
            ecs: aws_sdk_ecs::Client::new(config),
            logs: aws_sdk_cloudwatchlogs::Client::new(config),
        }
    }
}

/// Builds the shared configuration: the standard credential chain, the
/// contract's region, and `AWS_ENDPOINT_URL` (and `AWS_ENDPOINT_URL_ECS`
/// and friends) as aws-config itself resolves them — it reads them from the
/// environment and the shared config file, so nothing here overrides that.
pub async fn sdk_config(region: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        // The contract names the region the stack lives in; an AWS_REGION
        // pointing elsewhere would only find nothing there.
        .region(Region::new(region.to_owned()))
        .retry_config(retry_config())
        .timeout_config(timeout_config())
        .load()
        .await
}

/// The same configuration for commands that are not about one contract:
/// the region given, else the standard chain's (`AWS_REGION`, the
/// profile). `None` when neither names one.
pub async fn sdk_config_any_region(region: Option<&str>) -> Option<SdkConfig> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry_config())
        .timeout_config(timeout_config());
    if let Some(region) = region {
        loader = loader.region(Region::new(region.to_owned()));
    }
    let config = loader.load().await;
    config.region().is_some().then_some(config)
}

/// S3 with path-style addressing whenever an endpoint is set: a local
/// sandbox at `127.0.0.1:<port>` has no per-bucket host names.
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let s3 = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(config.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(s3)
}

/// The longest wait between two attempts of one call. The SDK's default
/// (20 s) is longer than a poll interval: a watcher would rather ask again
/// on its next poll than sit out a long backoff.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Standard retry: exponential backoff with full jitter (up to 1 s, 2 s, 4 s,
/// … per attempt). Not adaptive: its client-side rate limiter measures the
/// caller's own send rate, and a poller's is low (one batched
/// DescribeServices every few seconds), so after one throttle it asked for
/// the whole MAX_BACKOFF before every retry. The pacing between polls
/// already keeps the request rate down.
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_max_backoff(MAX_BACKOFF)
}

pub fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

/// The small runtime every command's AWS calls run on.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build()
}

/// What went wrong with one call, for a message: the code and message AWS
/// answered with, or the transport's chain of causes. (`SdkError` is the
/// smithy runtime's, one type for every service's client.)
pub fn call_failure<E, R>(err: &aws_sdk_ecs::error::SdkError<E, R>) -> String
where
    E: aws_sdk_ecs::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match err.as_service_error() {
        Some(e) => format!(
            "{}: {}",
            e.code().unwrap_or("error"),
            e.message().unwrap_or("(no message)")
        ),
        None => crate::ecs::error_chain(err),
    }
}

/// Whether an endpoint URL points at this machine (the local sandbox).
pub fn is_loopback(endpoint: &str) -> bool {
    let Ok(url) = url::Url::parse(endpoint) else {
        return false;
    };
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The endpoint the clients will talk to, for the log line at start.
pub fn endpoint_of(config: &SdkConfig) -> String {
    config
        .endpoint_url()
        .map_or_else(|| "the AWS default endpoints".to_owned(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machine_is_loopback() {
        assert!(is_loopback("http://127.0.0.1:4566"));
        assert!(is_loopback("http://localhost:5000/"));
        assert!(is_loopback("http://[::1]:80"));
        assert!(!is_loopback("https://ecs.us-east-1.amazonaws.com"));
        assert!(!is_loopback("http://127.0.0.1.evil.example"));
        assert!(!is_loopback("not a url"));
    }

    #[test]
    fn retries_are_standard_and_bounded() {
        let retry = retry_config();
        assert_eq!(retry.mode(), aws_config::retry::RetryMode::Standard);
        assert_eq!(retry.max_attempts(), MAX_ATTEMPTS);
        assert_eq!(retry.max_backoff(), MAX_BACKOFF);
        let timeouts = timeout_config();
        assert_eq!(timeouts.connect_timeout(), Some(CONNECT_TIMEOUT));
        assert_eq!(timeouts.operation_timeout(), Some(OPERATION_TIMEOUT));
    }
}
