"""One router per resource: auth (sign-in), people (main and details pages), method, audit."""
