// What runs in an app env: the four long-running services and the one-off
// migration task. Commands and ports live here, sizes and counts in config.

export type ServiceName = "gunicorn" | "default" | "beat" | "web-ui";
export type ImageKind = "backend" | "frontend";

export interface ServiceSpec {
    name: ServiceName;
    image: ImageKind;
    command?: string[];
    /** Set for services behind the load balancer. */
    port?: number;
    /** Seconds ECS waits after SIGTERM: celery finishes the task at hand. */
    stopTimeout?: number;
    /** More than one task at a time would be wrong (beat would double every schedule). */
    singleton?: boolean;
}

export const SERVICES: readonly ServiceSpec[] = [
    { name: "gunicorn", image: "backend", command: ["gunicorn", "ublog.wsgi", "--bind", "0.0.0.0:8000"], port: 8000 },
    { name: "default", image: "backend", command: ["celery", "-A", "ublog", "worker", "-Q", "default", "-l", "info"], stopTimeout: 120 },
    { name: "beat", image: "backend", command: ["celery", "-A", "ublog", "beat", "-l", "info"], singleton: true },
    { name: "web-ui", image: "frontend", port: 3000 },
];

/** The one-off task `stackpilot update` runs before any service rolls. */
export const MIGRATION = {
    container: "backend_update",
    image: "backend" as ImageKind,
    command: ["python", "manage.py", "pre_update"],
};

/** Services start at this tag; stackpilot registers the real one. */
export const INITIAL_TAG = "latest";
