//! The deploy lease: one object per env in the state bucket, written with
//! S3's conditional writes, so that two `update` runs of one env never
//! both go ahead. `If-None-Match: *` takes a free lease; `If-Match: <etag>`
//! renews ours or takes over one past its expiry, so of two runs racing
//! for the same object exactly one wins.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::{ByteStream, DateTime, DateTimeFormat};
use aws_sdk_s3::Client;
use serde::{Deserialize, Serialize};

/// Where the leases live in the bucket, next to Pulumi's `.pulumi/`.
pub const PREFIX: &str = ".stackpilot/leases/";
/// A run that stops renewing (killed, machine gone) frees the env after this.
pub const TTL: Duration = Duration::from_secs(10 * 60);
/// Renewed well before it could expire, even with a slow call or two.
const RENEW_EVERY: Duration = Duration::from_secs(2 * 60);

#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    #[error("env `{env}` is being deployed by {} ({}): leased since {} until {} (s3://{bucket}/{key}); wait for it to finish, or, if that run is gone, for the lease to expire", .holder.holder, .holder.run, when(.holder.acquired_at), when(.holder.expires_at))]
    Held {
        env: String,
        bucket: String,
        key: String,
        holder: Box<LeaseRecord>,
    },
    #[error("deploy lease s3://{bucket}/{key}: {operation} failed: {message}")]
    Call {
        bucket: String,
        key: String,
        operation: &'static str,
        message: String,
    },
}

/// What the lease object holds: who, which run, since and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseRecord {
    /// `octocat (GitHub Actions)`, `ana@laptop`.
    pub holder: String,
    /// A link to the workflow run, or the process on the machine.
    pub run: String,
    /// Unix seconds.
    pub acquired_at: i64,
    pub expires_at: i64,
}

impl LeaseRecord {
    pub fn is_expired(&self, now: i64) -> bool {
        now >= self.expires_at
    }
}

/// Unix seconds as `2026-12-02T13:15:46Z`.
pub fn when(unix: i64) -> String {
    DateTime::from_secs(unix)
        .fmt(DateTimeFormat::DateTime)
        .unwrap_or_else(|_| unix.to_string())
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Who is asking, from the environment: the GitHub run when in Actions,
/// else the user and machine.
pub fn identify(var: &dyn Fn(&str) -> Option<String>) -> (String, String) {
    let pid = std::process::id();
    let host = var("HOSTNAME")
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "this machine".to_owned());
    match (var("GITHUB_ACTOR"), var("GITHUB_RUN_ID")) {
        (Some(actor), Some(run)) => {
            let server = var("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".to_owned());
            let repo = var("GITHUB_REPOSITORY").unwrap_or_default();
            let attempt = var("GITHUB_RUN_ATTEMPT").unwrap_or_else(|| "1".to_owned());
            (
                format!("{actor} (GitHub Actions)"),
                format!("{server}/{repo}/actions/runs/{run}/attempts/{attempt}"),
            )
        }
        _ => {
            let user = var("USER").unwrap_or_else(|| "someone".to_owned());
            (format!("{user}@{host}"), format!("process {pid} on {host}"))
        }
    }
}

/// A lease this run holds.
#[derive(Debug)]
pub struct Lease {
    client: Client,
    bucket: String,
    key: String,
    etag: tokio::sync::Mutex<String>,
    record: LeaseRecord,
}

fn call_error<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
    bucket: &str,
    key: &str,
    operation: &'static str,
    err: SdkError<E, R>,
) -> LeaseError {
    LeaseError::Call {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        operation,
        message: crate::aws::call_failure(&err),
    }
}

/// The condition did not hold: the object exists (If-None-Match) or is no
/// longer the one we read (If-Match). S3 answers 409 when two conditional
/// writes of one key overlap; the loser of that race lost the same way.
fn condition_failed<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    err.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|c| matches!(c, "PreconditionFailed" | "ConditionalRequestConflict"))
}

pub fn key_for(env: &str) -> String {
    format!("{PREFIX}{env}.json")
}

impl Lease {
    /// Takes the env's lease: free → ours; held and not expired →
    /// [`LeaseError::Held`]; held past its expiry → taken over, saying so.
    pub async fn acquire(
        client: &Client,
        bucket: &str,
        env: &str,
        holder: (String, String),
    ) -> Result<Self, LeaseError> {
        let key = key_for(env);
        let at = now();
        let record = LeaseRecord {
            holder: holder.0,
            run: holder.1,
            acquired_at: at,
            expires_at: at + TTL.as_secs() as i64,
        };
        let body = serde_json::to_vec_pretty(&record).unwrap_or_default();
        let put = client
            .put_object()
            .bucket(bucket)
            .key(&key)
            .content_type("application/json")
            .if_none_match("*")
            .body(ByteStream::from(body.clone()))
            .send()
            .await;
        let etag = match put {
            Ok(out) => out.e_tag().unwrap_or_default().to_owned(),
            Err(e) if condition_failed(&e) => {
                let (current, current_etag) = read(client, bucket, &key).await?;
                if !current.is_expired(now()) {
                    return Err(LeaseError::Held {
                        env: env.to_owned(),
                        bucket: bucket.to_owned(),
                        key,
                        holder: Box::new(current),
                    });
                }
                let taken = client
                    .put_object()
                    .bucket(bucket)
                    .key(&key)
                    .content_type("application/json")
                    .if_match(&current_etag)
                    .body(ByteStream::from(body))
                    .send()
                    .await;
                match taken {
                    Ok(out) => {
                        tracing::warn!(
                            "took over the deploy lease of `{env}` from {} ({}), which expired at {}",
                            current.holder,
                            current.run,
                            when(current.expires_at)
                        );
                        out.e_tag().unwrap_or_default().to_owned()
                    }
                    Err(e) if condition_failed(&e) => {
                        // Someone else took it over first.
                        let (winner, _) = read(client, bucket, &key).await?;
                        return Err(LeaseError::Held {
                            env: env.to_owned(),
                            bucket: bucket.to_owned(),
                            key,
                            holder: Box::new(winner),
                        });
                    }
                    Err(e) => return Err(call_error(bucket, &key, "PutObject", e)),
                }
            }
            Err(e) => return Err(call_error(bucket, &key, "PutObject", e)),
        };
        tracing::info!("deploy lease of `{env}` taken until {}", when(record.expires_at));
        Ok(Lease {
            client: client.clone(),
            bucket: bucket.to_owned(),
            key,
            etag: tokio::sync::Mutex::new(etag),
            record,
        })
    }

    /// Pushes the expiry forward, only if the object is still ours.
    pub async fn renew(&self) -> Result<(), LeaseError> {
        let mut etag = self.etag.lock().await;
        let record = LeaseRecord {
            expires_at: now() + TTL.as_secs() as i64,
            ..self.record.clone()
        };
        let out = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .content_type("application/json")
            .if_match(etag.as_str())
            .body(ByteStream::from(serde_json::to_vec_pretty(&record).unwrap_or_default()))
            .send()
            .await
            .map_err(|e| call_error(&self.bucket, &self.key, "PutObject (renew)", e))?;
        *etag = out.e_tag().unwrap_or_default().to_owned();
        Ok(())
    }

    /// Renews until a renewal fails; returns then (logged), so that the
    /// caller can keep awaiting its work: the run goes on, and says so.
    pub async fn keep_renewed(&self) {
        loop {
            tokio::time::sleep(RENEW_EVERY).await;
            if let Err(e) = self.renew().await {
                tracing::error!("{e}; the deploy lease may lapse before this run ends");
                return;
            }
        }
    }

    /// Deletes the object if it is still ours (read first: a lease taken
    /// over by another run is theirs now).
    pub async fn release(self) -> Result<(), LeaseError> {
        let etag = self.etag.into_inner();
        let (_, current) = read(&self.client, &self.bucket, &self.key).await?;
        if current != etag {
            tracing::warn!("the deploy lease was taken over by another run; leaving it to that run");
            return Ok(());
        }
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .send()
            .await
            .map_err(|e| call_error(&self.bucket, &self.key, "DeleteObject", e))?;
        tracing::info!("deploy lease released");
        Ok(())
    }
}

/// The lease object and its ETag.
pub async fn read(client: &Client, bucket: &str, key: &str) -> Result<(LeaseRecord, String), LeaseError> {
    let got = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| call_error(bucket, key, "GetObject", e))?;
    let etag = got.e_tag().unwrap_or_default().to_owned();
    let bytes = got
        .body
        .collect()
        .await
        .map_err(|e| LeaseError::Call {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            operation: "GetObject",
            message: e.to_string(),
        })?
        .into_bytes();
    // A lease object nobody can read holds the env until it is removed by
    // hand: better than two runs at once.
    let record = serde_json::from_slice(&bytes).unwrap_or(LeaseRecord {
        holder: "an unreadable lease object".to_owned(),
        run: "unknown".to_owned(),
        acquired_at: 0,
        expires_at: i64::MAX,
    });
    Ok((record, etag))
}
