"""stackpilot's local AWS sandbox: moto's server with an ECS that behaves like ECS."""
