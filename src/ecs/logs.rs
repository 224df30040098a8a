//! What a failed container wrote: the tail of its awslogs stream. Missing
//! logs never fail a run; the reason they are missing goes in the report.
//! The lines are masked before they leave this module: a crashing app
//! prints its settings, and the report copies what it is given.

use crate::outcome::update::{LogLocation, LogTail};
use aws_sdk_ecs::types::{ContainerDefinition, LogDriver};

/// Lines kept per failed container.
pub(crate) const TAIL_LINES: i32 = 50;

/// awslogs names the stream `<prefix>/<container>/<task id>`.
pub(crate) fn location(container: &ContainerDefinition, task_id: &str) -> Option<LogLocation> {
    let config = container.log_configuration()?;
    if config.log_driver() != &LogDriver::Awslogs {
        return None;
    }
    let options = config.options()?;
    let group = options.get("awslogs-group")?;
    let prefix = options.get("awslogs-stream-prefix")?;
    Some(LogLocation {
        group: group.clone(),
        stream: format!("{prefix}/{}/{task_id}", container.name()?),
    })
}

pub(crate) async fn tail(
    logs: &aws_sdk_cloudwatchlogs::Client,
    container: &ContainerDefinition,
    task_id: &str,
) -> LogTail {
    let Some(location) = location(container, task_id) else {
        return LogTail {
            location: None,
            lines: Vec::new(),
            unavailable: Some("the container does not log with awslogs and a stream prefix".into()),
        };
    };
    let result = logs
        .get_log_events()
        .log_group_name(&location.group)
        .log_stream_name(&location.stream)
        .limit(TAIL_LINES)
        .start_from_head(false)
        .send()
        .await;
    match result {
        Ok(out) => LogTail {
            lines: super::plan_diff::sensitive_values(container).mask_lines(
                out.events
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|e| e.message)
                    .collect(),
            ),
            location: Some(location),
            unavailable: None,
        },
        Err(err) => {
            let why = match err.as_service_error() {
                Some(e) if e.is_resource_not_found_exception() => {
                    "the log stream does not exist (the container never started?)".to_owned()
                }
                _ => format!(
                    "could not read it: {}",
                    aws_sdk_cloudwatchlogs::error::DisplayErrorContext(&err)
                ),
            };
            tracing::warn!("logs of {}/{}: {why}", location.group, location.stream);
            LogTail {
                location: Some(location),
                lines: Vec::new(),
                unavailable: Some(why),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::testing;
    use aws_sdk_cloudwatchlogs::operation::get_log_events::{GetLogEventsError, GetLogEventsOutput};
    use aws_sdk_cloudwatchlogs::types::error::ResourceNotFoundException;
    use aws_sdk_cloudwatchlogs::types::OutputLogEvent;
    use aws_sdk_cloudwatchlogs::Client;
    use aws_smithy_mocks::{mock, mock_client};

    #[test]
    fn the_stream_follows_the_awslogs_naming() {
        let c = testing::container("gunicorn", "r:v1");
        let loc = location(&c, "0123abcd").unwrap();
        assert_eq!(loc.group, "/ecs/gunicorn");
        assert_eq!(loc.stream, "ecs/gunicorn/0123abcd");
    }

    #[tokio::test]
    async fn the_tail_reads_the_newest_fifty_lines() {
        let rule = mock!(Client::get_log_events)
            .match_requests(|r| r.limit() == Some(50) && r.start_from_head() == Some(false))
            .then_output(|| {
                GetLogEventsOutput::builder()
                    .events(OutputLogEvent::builder().message("Traceback").build())
                    .events(OutputLogEvent::builder().message("boom").build())
                    .build()
            });
        let logs = mock_client!(aws_sdk_cloudwatchlogs, [&rule]);
        let got = tail(&logs, &testing::container("gunicorn", "r:v1"), "t1").await;
        assert_eq!(got.lines, ["Traceback", "boom"]);
    }

    #[tokio::test]
    async fn a_missing_stream_is_reported_not_fatal() {
        let rule = mock!(Client::get_log_events)
            .then_error(|| GetLogEventsError::ResourceNotFoundException(ResourceNotFoundException::builder().build()));
        let logs = mock_client!(aws_sdk_cloudwatchlogs, [&rule]);
        let got = tail(&logs, &testing::container("gunicorn", "r:v1"), "t1").await;
        assert!(got.lines.is_empty());
        assert!(got.unavailable.unwrap().contains("does not exist"));
    }

    #[tokio::test]
    async fn log_lines_are_masked_for_the_environment_and_credential_shapes() {
        use aws_sdk_ecs::types::KeyValuePair;
        let rule = mock!(Client::get_log_events).then_output(|| {
            let line = |m: &str| OutputLogEvent::builder().message(m).build();
            GetLogEventsOutput::builder()
                .events(line("SECRET_KEY is django-insecure-7f3k2j1h"))
                .events(line("connect postgres://app:Tr0ub4dor3@db:5432/app failed"))
                .events(line("retrying with Tr0ub4dor3 and AKIAIOSFODNN7EXAMPLE"))
                .events(line("DATABASE_NAME=alpha-db"))
                .build()
        });
        let logs = mock_client!(aws_sdk_cloudwatchlogs, [&rule]);
        let mut container = testing::container("backend_update", "r:v1");
        container.environment = Some(vec![
            KeyValuePair::builder()
                .name("SECRET_KEY")
                .value("django-insecure-7f3k2j1h")
                .build(),
            KeyValuePair::builder()
                .name("DATABASE_HOST")
                .value("postgres://app:Tr0ub4dor3@db:5432/app")
                .build(),
            KeyValuePair::builder().name("DATABASE_NAME").value("alpha-db").build(),
        ]);
        let got = tail(&logs, &container, "t1").await;
        assert_eq!(
            got.lines,
            [
                "SECRET_KEY is ••••",
                "connect postgres://••••@db:5432/app failed",
                "retrying with •••• and ••••",
                "DATABASE_NAME=alpha-db",
            ]
        );
    }
}
