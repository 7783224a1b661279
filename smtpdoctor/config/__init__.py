"""Reading the app's settings: values, families, clients, dotenv files, the app folder,
the project file, lint and preflight. Never touches the network."""
