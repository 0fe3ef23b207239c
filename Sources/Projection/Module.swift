// Projection — annotation projection (issue 5). Placeholder until the first file lands.
